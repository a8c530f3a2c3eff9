/* period.h: indicator period codes ("2026-03", "2026-Q1", "2026") and their arithmetic.
 *
 * Pure functions, no allocation: parsing and formatting, first and last month, the range
 * rule of the indicators API (a period is "in" [from, to] when it lies entirely inside it).
 * Shared by the filters (filter.c), the cell store and disclosure control (relations.c).
 */
#ifndef AGG_PERIOD_H
#define AGG_PERIOD_H

#include <stddef.h>

typedef struct agg_period {
    char freq; /* 'M', 'Q' or 'A' */
    int year;  /* 2000 .. 2999 */
    int sub;   /* month 1..12 (M), quarter 1..4 (Q), 0 (A) */
} agg_period;

/* Parse "YYYY-MM", "YYYY-Qn" or "YYYY" (years 2000..2999). Returns 0 on success, -1 for a
 * malformed code (p is then unspecified). */
int agg_period_parse(const char *s, agg_period *p);

/* Write the code of p into out (NUL-terminated, at least 8 bytes). */
void agg_period_format(const agg_period *p, char *out, size_t cap);

/* Months counted from year 0: year * 12 + month - 1. */
int agg_month_index(int year, int month);

/* First and last month of p, as month indexes (agg_month_index). */
int agg_period_first(const agg_period *p);
int agg_period_last(const agg_period *p);

/* 1 when p lies entirely inside [first month of from, last month of to], else 0. */
int agg_period_within(const agg_period *p, const agg_period *from, const agg_period *to);

/* The first day of month index mi as "YYYY-MM-01" (out: at least 11 bytes). */
void agg_month_date(int mi, char *out, size_t cap);

/* The quarter code of a month ("2026-Q1" for 2026-03) and its year code ("2026"). */
void agg_month_quarter(int year, int month, char *out, size_t cap);

#endif
