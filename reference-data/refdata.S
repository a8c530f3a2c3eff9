/* refdata.S: embeds the reference files in the binary (read by ref.c). Each blob ends
 * with a NUL byte. The paths are found through the assembler's -I option. */
    .section .rodata
    .global ref_blob_codelists
ref_blob_codelists:
    .incbin "codelists.csv"
    .byte 0
    .global ref_blob_departements
ref_blob_departements:
    .incbin "departements.csv"
    .byte 0
    .global ref_blob_regions
ref_blob_regions:
    .incbin "regions.csv"
    .byte 0
    .global ref_blob_grid_xsd
ref_blob_grid_xsd:
    .incbin "grille-1.xsd"
    .byte 0
    .section .note.GNU-stack,"",@progbits
