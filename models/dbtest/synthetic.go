package dbtest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"kurve/models"
)

// SyntheticDataKey is the data key of the kept synthetic data sets, fixed
// so that a later run (a benchmark serving participants) can decrypt what
// an earlier one encrypted. It encrypts synthetic data only: seed refuses
// production, and no real database ever holds a value under this key id.
func SyntheticDataKey() string {
	key := sha256.Sum256([]byte("kurve synthetic benchmark data set, never real people"))
	return "k00000000be4c4000:" + base64.RawURLEncoding.EncodeToString(key[:])
}

// Synthetic returns the kept database with n synthetic participants
// (kurve seed --synthetic) and the demo users, building it when it does
// not exist yet (minutes at 100000) and logging how long that took.
func Synthetic(tb testing.TB, n int) *DB {
	tb.Helper()
	built := func(db *gorm.DB) bool {
		var ok bool
		return db.Raw("SELECT to_regclass('public.synthetic_built') IS NOT NULL").Scan(&ok).Error == nil && ok
	}
	return Kept(tb, fmt.Sprintf("kurve_bench_%d", n), built, func(db *gorm.DB) error {
		Seed(tb, db)
		key, err := models.ParseDataKey(SyntheticDataKey())
		if err != nil {
			return err
		}
		cipher, err := models.NewCipher(key)
		if err != nil {
			return err
		}
		start := time.Now()
		rep, err := models.SeedSynthetic(context.Background(), db, cipher,
			models.SyntheticOptions{Participants: n, Seed: 1, Today: time.Now()})
		if err != nil {
			return err
		}
		seeded := time.Since(start)
		if _, err := models.RefreshStatistics(context.Background(), db); err != nil {
			return err
		}
		tb.Logf("data set: %d participants, %d sessions (%d attendance entries), %d visits, %d referrals, %d assessments; seeded in %s, statistics refreshed in %s",
			rep.Participants, rep.Sessions, rep.SessionEntries, rep.Visits, rep.Referrals, rep.Assessments,
			seeded.Round(time.Second), (time.Since(start) - seeded).Round(100*time.Millisecond))
		return db.Exec("CREATE TABLE public.synthetic_built (at timestamptz DEFAULT now())").Error
	})
}
