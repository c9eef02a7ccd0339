import Testing
@testable import Metrics

@Suite("Histogram and Prometheus text")
struct MetricsTests {
    @Test func bucketsAreUpperBoundsAndRenderCumulatively() {
        var histogram = Histogram(bounds: [0.1, 1])
        for value in [0.05, 0.1, 0.5, 2, 3] { histogram.observe(value) }
        #expect(histogram.counts == [2, 1, 2])
        #expect(histogram.count == 5 && histogram.sum == 5.65)
        var text = PrometheusText()
        text.family("t_seconds", type: "histogram", help: "A test.")
        text.histogram("t_seconds", [("route", "/x")], histogram)
        #expect(text.text == """
            # HELP t_seconds A test.
            # TYPE t_seconds histogram
            t_seconds_bucket{route="/x",le="0.1"} 2
            t_seconds_bucket{route="/x",le="1"} 3
            t_seconds_bucket{route="/x",le="+Inf"} 5
            t_seconds_sum{route="/x"} 5.65
            t_seconds_count{route="/x"} 5

            """)
    }

    @Test func labelValuesAreEscaped() {
        var text = PrometheusText()
        text.sample("m", [("subject", "CN=a\"b\\c\nd")], 1)
        #expect(text.text == "m{subject=\"CN=a\\\"b\\\\c\\nd\"} 1\n")
    }
}
