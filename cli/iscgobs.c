/* iscgobs.c: the command-line dispatcher (placeholder until the commands land). */
#include <stdio.h>
int main(void) { fprintf(stderr, "iscgobs: en construction\n"); return 1; }
