/* period.c: indicator period codes and their arithmetic (see period.h). */
#include "period.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int agg_period_parse(const char *s, agg_period *p)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 4 || !digits(s, 4))
        return -1;
    p->year = num(s, 4);
    if (p->year < 2000 || p->year > 2999)
        return -1;
    if (len == 4) {
        p->freq = 'A';
        p->sub = 0;
        return 0;
    }
    if (s[4] != '-')
        return -1;
    if (len == 7 && s[5] == 'Q' && s[6] >= '1' && s[6] <= '4') {
        p->freq = 'Q';
        p->sub = s[6] - '0';
        return 0;
    }
    if (len == 7 && digits(s + 5, 2)) {
        p->freq = 'M';
        p->sub = num(s + 5, 2);
        return p->sub >= 1 && p->sub <= 12 ? 0 : -1;
    }
    return -1;
}

void agg_period_format(const agg_period *p, char *out, size_t cap)
{
    if (p->freq == 'M')
        snprintf(out, cap, "%04d-%02d", p->year, p->sub);
    else if (p->freq == 'Q')
        snprintf(out, cap, "%04d-Q%d", p->year, p->sub);
    else
        snprintf(out, cap, "%04d", p->year);
}

int agg_month_index(int year, int month)
{
    return year * 12 + month - 1;
}

int agg_period_first(const agg_period *p)
{
    int m = p->freq == 'M' ? p->sub : p->freq == 'Q' ? 3 * p->sub - 2 : 1;
    return agg_month_index(p->year, m);
}

int agg_period_last(const agg_period *p)
{
    int m = p->freq == 'M' ? p->sub : p->freq == 'Q' ? 3 * p->sub : 12;
    return agg_month_index(p->year, m);
}

int agg_period_within(const agg_period *p, const agg_period *from, const agg_period *to)
{
    return agg_period_first(p) >= agg_period_first(from) &&
           agg_period_last(p) <= agg_period_last(to);
}

void agg_month_date(int mi, char *out, size_t cap)
{
    snprintf(out, cap, "%04d-%02d-01", mi / 12, mi % 12 + 1);
}

void agg_month_quarter(int year, int month, char *out, size_t cap)
{
    snprintf(out, cap, "%04d-Q%d", year, (month - 1) / 3 + 1);
}
