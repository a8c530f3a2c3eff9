/* date.h: the proleptic Gregorian calendar as day numbers, without time zones or struct tm
 * (grid dates, the demo's calendar, SDMX time stamps, PostgreSQL's binary dates); and the
 * monotonic clock that durations are measured with. */
#ifndef OBS_DATE_H
#define OBS_DATE_H

/* Days from 1970-01-01 to y-m-d (negative before). */
long obs_days_from_civil(int y, int m, int d);

/* The inverse: the civil date of day z since 1970-01-01. */
void obs_civil_from_days(long z, int *y, int *m, int *d);

/* 28 to 31; m from 1 to 12. */
int obs_days_in_month(int y, int m);

/* Milliseconds of the monotonic clock (CLOCK_MONOTONIC): differences are durations. */
double obs_now_ms(void);

#endif
