package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"kurve/models"
)

// retentionView is the last retention run as the dpo's start page shows
// it (issue 12): when it ran and what it did. Never is true before the
// first run; Running while the day's run has not recorded its end (it is
// still going, or it failed and the day's claim stays without counts).
type retentionView struct {
	Never, Running    bool
	Day               time.Time
	Started, Finished time.Time
	Report            models.RetentionReport
}

// dpoHome is the data-protection officer's start page: links to the audit
// log and the erasure, and the last retention run, read as kurve_dpo.
func (h *handlers) dpoHome(c *fiber.Ctx) error {
	run, err := store(c).LastRetentionRun()
	if err != nil {
		return err
	}
	return h.s.render(c, "home.html", "home.title", retentionViewOf(run))
}

func retentionViewOf(run *models.RetentionRun) *retentionView {
	if run == nil {
		return &retentionView{Never: true}
	}
	v := &retentionView{Day: run.Day, Started: run.StartedAt, Report: run.Report, Running: run.FinishedAt == nil}
	if run.FinishedAt != nil {
		v.Finished = *run.FinishedAt
	}
	return v
}
