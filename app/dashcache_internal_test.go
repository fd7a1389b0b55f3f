package app

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDashCacheComputesOnceForConcurrentRequests (issue 15): requests
// that ask for the same attention lists while they are computed wait for
// that one computation (at a site of 20,000 cases each computation holds
// the site's case facts); a new version of the facts is computed again;
// and when the computing request fails, the waiting ones compute on their
// own instead of answering its error.
func TestDashCacheComputesOnceForConcurrentRequests(t *testing.T) {
	var c dashCache
	key := dashKey{user: "u", site: "s", day: "2026-12-01"}
	var computed atomic.Int32
	release := make(chan struct{})
	want := &attention{}
	slow := func() (*attention, error) {
		computed.Add(1)
		<-release
		return want, nil
	}

	const requests = 16
	var wg sync.WaitGroup
	got := make(chan *attention, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := c.get(key, 1, slow)
			if err != nil {
				t.Error(err)
			}
			got <- a
		}()
	}
	// Let every request reach the computation before it ends.
	waitFor(t, func() bool { return computed.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	close(got)
	for a := range got {
		if a != want {
			t.Fatal("a request got other lists than the computed ones")
		}
	}
	if n := computed.Load(); n != 1 {
		t.Errorf("%d concurrent requests computed the lists %d times, want once", requests, n)
	}

	// Kept: no computation for the same version; one for a new version.
	if _, err := c.get(key, 1, slow); err != nil || computed.Load() != 1 {
		t.Errorf("the kept lists were computed again (%d computations, %v)", computed.Load(), err)
	}
	if _, err := c.get(key, 2, slow); err != nil || computed.Load() != 2 {
		t.Errorf("a new version of the facts was not computed (%d computations, %v)", computed.Load(), err)
	}

	// The computing request fails: it answers its error, a waiting one
	// computes on its own.
	failing := make(chan struct{})
	boom := errors.New("the leader's transaction failed")
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.get(key, 3, func() (*attention, error) { <-failing; return nil, boom })
		leaderErr <- err
	}()
	time.Sleep(50 * time.Millisecond)
	followerGot := make(chan *attention, 1)
	go func() {
		a, err := c.get(key, 3, func() (*attention, error) { return want, nil })
		if err != nil {
			t.Errorf("a waiting request answered the computing one's error: %v", err)
		}
		followerGot <- a
	}()
	time.Sleep(50 * time.Millisecond)
	close(failing)
	if err := <-leaderErr; !errors.Is(err, boom) {
		t.Errorf("the failing request: %v, want its own error", err)
	}
	if a := <-followerGot; a != want {
		t.Error("the waiting request did not compute its lists on its own")
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
