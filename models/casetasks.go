package models

// Task is something an open case needs from its staff, as the summary of
// the case page lists it. Tasks are derived from what the page already
// knows; none is stored.
type Task string

// The tasks of an open case, in the order the summary lists them.
const (
	// TaskConsentMissing: participation consent is not (or no longer)
	// valid (SPEC §4).
	TaskConsentMissing Task = "consent_missing"
	// TaskConsentAnswer: a requested consent awaits the family's answer.
	TaskConsentAnswer Task = "consent_answer"
	// TaskReviewOverdue: the case review is overdue (SPEC §3, 8 weeks).
	TaskReviewOverdue Task = "review_overdue"
	// TaskProgramEnding: the program period ends soon or has ended.
	TaskProgramEnding Task = "program_ending"
	// TaskNoGoals: an active case without any case-plan goal.
	TaskNoGoals Task = "no_goals"
	// TaskNoBaseline: an active case without its baseline assessment
	// (issue 17).
	TaskNoBaseline Task = "no_baseline"
	// TaskNoSocialWorker: nobody is assigned as the case's social worker.
	TaskNoSocialWorker Task = "no_social_worker"
)

// Tasks lists every task in summary order.
var Tasks = []Task{TaskConsentMissing, TaskConsentAnswer, TaskReviewOverdue, TaskProgramEnding, TaskNoGoals, TaskNoBaseline,
	TaskNoSocialWorker}

// TaskFacts is what OpenTasks looks at: facts of one case that the case
// page has loaded anyway.
type TaskFacts struct {
	Status Status
	// ConsentValid is true when no consent for participation is missing.
	ConsentValid bool
	// ConsentRequested is true when a requested consent awaits an answer.
	ConsentRequested bool
	// ReviewOverdue and ProgramEnding come from Timing.
	ReviewOverdue, ProgramEnding bool
	Goals                        int
	// NoBaseline is true when the case has no intake assessment.
	NoBaseline bool
	// SocialWorker is true when a social worker is assigned today.
	SocialWorker bool
}

// OpenTasks lists what a case needs, in the order of Tasks. A closed case
// needs nothing: its consent, reviews and staff no longer matter.
func OpenTasks(f TaskFacts) []Task {
	if !f.Status.Open() {
		return nil
	}
	need := map[Task]bool{
		TaskConsentMissing: !f.ConsentValid,
		TaskConsentAnswer:  f.ConsentRequested,
		TaskReviewOverdue:  f.ReviewOverdue,
		TaskProgramEnding:  f.ProgramEnding,
		TaskNoGoals:        f.Status == StatusActive && f.Goals == 0,
		TaskNoBaseline:     f.Status == StatusActive && f.NoBaseline,
		TaskNoSocialWorker: !f.SocialWorker,
	}
	var out []Task
	for _, t := range Tasks {
		if need[t] {
			out = append(out, t)
		}
	}
	return out
}
