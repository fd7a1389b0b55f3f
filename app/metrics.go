package app

import (
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus collectors of one server. Labels are the route
// pattern, method and status: never an id or anything personal.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// Background jobs by name: runs by outcome (done, skipped because
	// another instance had it, failed), and the last run's time, duration
	// and success.
	jobRuns     *prometheus.CounterVec
	jobLast     *prometheus.GaugeVec
	jobDuration *prometheus.GaugeVec
	jobSuccess  *prometheus.GaugeVec
}

// Job outcomes for metrics.job.
const (
	jobDone    = "done"
	jobSkipped = "skipped"
	jobFailed  = "failed"
)

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kurve_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kurve_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kurve_job_runs_total", Help: "Background job rounds by job and outcome (done, skipped: another instance ran it, failed).",
		}, []string{"job", "outcome"}),
		jobLast: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kurve_job_last_run_timestamp_seconds", Help: "When the job last ran on this instance (done or failed).",
		}, []string{"job"}),
		jobDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kurve_job_last_duration_seconds", Help: "How long the job's last run on this instance took.",
		}, []string{"job"}),
		jobSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kurve_job_last_success", Help: "1 when the job's last run on this instance succeeded, 0 when it failed.",
		}, []string{"job"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.jobRuns, m.jobLast, m.jobDuration, m.jobSuccess,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// job records one round of a background job that began at start.
func (m *metrics) job(name, outcome string, start time.Time) {
	m.jobRuns.WithLabelValues(name, outcome).Inc()
	if outcome == jobSkipped {
		return
	}
	m.jobLast.WithLabelValues(name).Set(float64(start.Unix()))
	m.jobDuration.WithLabelValues(name).Set(time.Since(start).Seconds())
	success := 0.0
	if outcome == jobDone {
		success = 1
	}
	m.jobSuccess.WithLabelValues(name).Set(success)
}

// watchPool adds the database pool's figures (open, in use, idle, waits).
func (m *metrics) watchPool(db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, "kurve"))
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// httpHandler serves the metrics, for a listener of their own
// (KURVE_METRICS_ADDR).
func (m *metrics) httpHandler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// handler is /metrics on the application's port: only with the bearer
// token of KURVE_METRICS_TOKEN, else 404 (issue 14: not open on the
// public port).
func (m *metrics) handler(token string) fiber.Handler {
	serve := adaptor.HTTPHandler(m.httpHandler())
	return func(c *fiber.Ctx) error {
		got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return fiber.ErrNotFound
		}
		return serve(c)
	}
}
