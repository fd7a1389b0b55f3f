package models_test

import (
	"slices"
	"testing"

	"kurve/models"
)

func TestOpenTasks(t *testing.T) {
	// fine is an active case that needs nothing.
	fine := models.TaskFacts{Status: models.StatusActive, ConsentValid: true, Goals: 2, SocialWorker: true}
	with := func(change func(*models.TaskFacts)) models.TaskFacts {
		f := fine
		change(&f)
		return f
	}
	cases := []struct {
		name  string
		facts models.TaskFacts
		want  []models.Task
	}{
		{"nothing to do", fine, nil},
		{"consent missing", with(func(f *models.TaskFacts) { f.ConsentValid = false }), []models.Task{models.TaskConsentMissing}},
		{"a consent awaits its answer", with(func(f *models.TaskFacts) { f.ConsentRequested = true }), []models.Task{models.TaskConsentAnswer}},
		{"review overdue", with(func(f *models.TaskFacts) { f.ReviewOverdue = true }), []models.Task{models.TaskReviewOverdue}},
		{"program ending", with(func(f *models.TaskFacts) { f.ProgramEnding = true }), []models.Task{models.TaskProgramEnding}},
		{"active without goals", with(func(f *models.TaskFacts) { f.Goals = 0 }), []models.Task{models.TaskNoGoals}},
		{"no social worker", with(func(f *models.TaskFacts) { f.SocialWorker = false }), []models.Task{models.TaskNoSocialWorker}},
		{"active without a baseline", with(func(f *models.TaskFacts) { f.NoBaseline = true }), []models.Task{models.TaskNoBaseline}},
		{"a baseline is not expected before the case is active",
			models.TaskFacts{Status: models.StatusConsentPending, ConsentValid: true, SocialWorker: true, NoBaseline: true}, nil},
		{"goals are not expected before the case is active",
			models.TaskFacts{Status: models.StatusConsentPending, ConsentValid: true, SocialWorker: true}, nil},
		{"everything at once, in summary order",
			models.TaskFacts{Status: models.StatusActive, ConsentRequested: true, ReviewOverdue: true, ProgramEnding: true, NoBaseline: true},
			models.Tasks},
		{"a new referral: consent and staff", models.TaskFacts{Status: models.StatusReferred},
			[]models.Task{models.TaskConsentMissing, models.TaskNoSocialWorker}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := models.OpenTasks(tc.facts); !slices.Equal(got, tc.want) {
				t.Errorf("tasks %v, want %v", got, tc.want)
			}
		})
	}
	// A closed case needs nothing, whatever its facts.
	for _, s := range models.Statuses {
		if s.Open() {
			continue
		}
		if got := models.OpenTasks(models.TaskFacts{Status: s}); got != nil {
			t.Errorf("closed case (%s): tasks %v, want none", s, got)
		}
	}
}
