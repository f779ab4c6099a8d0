#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(ag_metrics *m)
{
    size_t len;
    char *text = ag_metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void counters_with_labels(void **state)
{
    (void)state;
    ag_metrics *m = ag_metrics_new();
    const char *const labels[] = {"route", "status", NULL};
    ag_metric *c = ag_metrics_counter(m, "agendad_http_requests_total", "Requests.", labels);
    assert_non_null(c);
    const char *const a[] = {"/feeds/network.ics", "200"};
    const char *const b[] = {"/feeds/network.ics", "304"};
    ag_metric_add(c, a, 1);
    ag_metric_add(c, a, 2);
    ag_metric_add(c, b, 1);
    ag_metric_add(c, b, -5); /* counters never go down */
    assert_true(ag_metric_value(c, a) == 3);
    assert_true(ag_metric_value(c, b) == 1);
    char *text = render(m);
    assert_non_null(strstr(text, "# HELP agendad_http_requests_total Requests.\n"
                                 "# TYPE agendad_http_requests_total counter\n"
                                 "agendad_http_requests_total{route=\"/feeds/network.ics\","
                                 "status=\"200\"} 3\n"
                                 "agendad_http_requests_total{route=\"/feeds/network.ics\","
                                 "status=\"304\"} 1\n"));
    free(text);
    ag_metrics_free(m);
}

static void unlabelled_families_show_zero(void **state)
{
    (void)state;
    ag_metrics *m = ag_metrics_new();
    ag_metric *g = ag_metrics_gauge(m, "agendad_events", "Events.", NULL);
    char *text = render(m);
    assert_non_null(strstr(text, "\nagendad_events 0\n"));
    free(text);
    ag_metric_set(g, NULL, 42);
    ag_metric_add(g, NULL, -2);
    text = render(m);
    assert_non_null(strstr(text, "\nagendad_events 40\n"));
    free(text);
    ag_metrics_free(m);
}

static void histogram_is_cumulative(void **state)
{
    (void)state;
    ag_metrics *m = ag_metrics_new();
    const double bounds[] = {0.001, 0.01, 0.1};
    const char *const labels[] = {"kind", NULL};
    ag_metric *h =
        ag_metrics_histogram(m, "agendad_feed_build_seconds", "Build time.", labels, bounds, 3);
    assert_non_null(h);
    const char *const net[] = {"network"};
    ag_metric_observe(h, net, 0.0005);
    ag_metric_observe(h, net, 0.05);
    ag_metric_observe(h, net, 3);
    char *text = render(m);
    assert_non_null(strstr(text,
                           "agendad_feed_build_seconds_bucket{kind=\"network\",le=\"0.001\"} 1\n"
                           "agendad_feed_build_seconds_bucket{kind=\"network\",le=\"0.01\"} 1\n"
                           "agendad_feed_build_seconds_bucket{kind=\"network\",le=\"0.1\"} 2\n"
                           "agendad_feed_build_seconds_bucket{kind=\"network\",le=\"+Inf\"} 3\n"
                           "agendad_feed_build_seconds_sum{kind=\"network\"} 3.0505\n"
                           "agendad_feed_build_seconds_count{kind=\"network\"} 3\n"));
    free(text);
    const double bad[] = {1, 1};
    assert_null(ag_metrics_histogram(m, "agendad_bad_seconds", "", NULL, bad, 2));
    ag_metrics_free(m);
}

static void label_values_are_escaped(void **state)
{
    (void)state;
    ag_metrics *m = ag_metrics_new();
    const char *const labels[] = {"why", NULL};
    ag_metric *c = ag_metrics_counter(m, "agendad_x_total", "Back\\slash\nnewline.", labels);
    const char *const v[] = {"a\"b\\c\nd"};
    ag_metric_add(c, v, 1);
    char *text = render(m);
    assert_non_null(strstr(text, "# HELP agendad_x_total Back\\\\slash\\nnewline.\n"));
    assert_non_null(strstr(text, "agendad_x_total{why=\"a\\\"b\\\\c\\nd\"} 1\n"));
    free(text);
    ag_metrics_free(m);
}

static void registration_rules(void **state)
{
    (void)state;
    ag_metrics *m = ag_metrics_new();
    const char *const one[] = {"a", NULL};
    const char *const other[] = {"b", NULL};
    const char *const bad[] = {"__reserved", NULL};
    ag_metric *c = ag_metrics_counter(m, "agendad_y_total", "", one);
    assert_ptr_equal(ag_metrics_counter(m, "agendad_y_total", "", one), c);
    assert_null(ag_metrics_counter(m, "agendad_y_total", "", other));
    assert_null(ag_metrics_gauge(m, "agendad_y_total", "", one));
    assert_null(ag_metrics_counter(m, "9bad", "", NULL));
    assert_null(ag_metrics_counter(m, "bad-name", "", NULL));
    assert_null(ag_metrics_counter(m, "agendad_z_total", "", bad));
    /* NULL families are harmless. */
    ag_metric_add(NULL, NULL, 1);
    ag_metric_observe(NULL, NULL, 1);
    assert_true(ag_metric_value(NULL, NULL) == 0);
    ag_metrics_free(m);
}

static void series_are_bounded(void **state)
{
    (void)state;
    ag_metrics *m = ag_metrics_new();
    const char *const labels[] = {"k", NULL};
    ag_metric *c = ag_metrics_counter(m, "agendad_many_total", "", labels);
    char buf[32];
    for (int i = 0; i < AG_METRIC_MAX_SERIES + 10; i++) {
        snprintf(buf, sizeof buf, "v%d", i);
        const char *const v[] = {buf};
        ag_metric_add(c, v, 1);
    }
    ag_metric *dropped = ag_metrics_counter(m, "agendad_metrics_dropped_series_total", "", NULL);
    assert_true(ag_metric_value(dropped, NULL) == 10);
    ag_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_with_labels),    cmocka_unit_test(unlabelled_families_show_zero),
        cmocka_unit_test(histogram_is_cumulative), cmocka_unit_test(label_values_are_escaped),
        cmocka_unit_test(registration_rules),      cmocka_unit_test(series_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
