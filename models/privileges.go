package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Finding is one problem `kurve check` reports, with how to fix it.
type Finding struct {
	Problem, Fix string
}

func (f Finding) String() string { return f.Problem + "\n    fix: " + f.Fix }

// kurveSchemas are the schemas whose objects the login role must not own.
var kurveSchemas = []string{"org", "auth", "audit", "prevention", "enforcement", "statistics", "stats_base", "crossing"}

// switchRoles are the roles a serving login role must be able to switch
// to: every request's side, the sealer and the background jobs.
func switchRoles() []string {
	out := []string{"kurve_sealer"}
	for _, r := range DBRoles {
		out = append(out, string(r))
	}
	return out
}

// CheckLoginRole reports what makes the connecting role unsafe to serve
// with (issue 14, SPEC §10): a superuser, a role that may bypass row
// security or owns Kurve's objects would make a request that missed its
// SET LOCAL ROLE bypass every policy; a role that holds privileges itself
// (INHERIT) would too. It must also be able to switch to every kurve_*
// role.
func CheckLoginRole(ctx context.Context, db *gorm.DB) ([]Finding, error) {
	var me struct {
		Rolname                            string
		Rolsuper, Rolbypassrls, Rolinherit bool
		Owned                              int
	}
	err := db.WithContext(ctx).Raw(`SELECT r.rolname, r.rolsuper, r.rolbypassrls, r.rolinherit,
		(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE c.relowner = r.oid AND n.nspname IN ?) +
		(SELECT count(*) FROM pg_namespace n WHERE n.nspowner = r.oid AND n.nspname IN ?) AS owned
		FROM pg_roles r WHERE r.rolname = current_user`, kurveSchemas, kurveSchemas).Scan(&me).Error
	if err != nil {
		return nil, fmt.Errorf("models: login role: %w", err)
	}
	var out []Finding
	if me.Rolsuper {
		out = append(out, Finding{fmt.Sprintf("the login role %s is a superuser: it bypasses every privilege and policy", me.Rolname),
			"connect as a role made for Kurve (README, \"Least privilege\"), not as a superuser"})
	}
	if me.Rolbypassrls {
		out = append(out, Finding{fmt.Sprintf("the login role %s may bypass row-level security", me.Rolname),
			fmt.Sprintf("ALTER ROLE %s NOBYPASSRLS", me.Rolname)})
	}
	if me.Owned > 0 {
		out = append(out, Finding{fmt.Sprintf("the login role %s owns %d of Kurve's schemas and tables: their owner is exempt from their policies", me.Rolname, me.Owned),
			"keep the owning role for `kurve migrate` only and serve with a login role that owns nothing (README, \"Least privilege\")"})
	}
	// Privileges of its own, without SET ROLE, on any of Kurve's tables.
	var held []string
	if !me.Rolsuper && me.Owned == 0 {
		err := db.WithContext(ctx).Raw(`SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname IN ? AND c.relkind IN ('r', 'v', 'm', 'p')
			  AND has_table_privilege(current_user, c.oid, 'SELECT, INSERT, UPDATE, DELETE') ORDER BY 1`, kurveSchemas).Scan(&held).Error
		if err != nil {
			return nil, fmt.Errorf("models: privileges of the login role: %w", err)
		}
	}
	if len(held) > 0 {
		out = append(out, Finding{fmt.Sprintf("the login role %s reads %s without switching role", me.Rolname, strings.Join(held, ", ")),
			fmt.Sprintf("ALTER ROLE %s NOINHERIT, and grant it nothing but membership of the kurve_* roles", me.Rolname)})
	}
	var missing []string
	for _, r := range switchRoles() {
		var member bool
		if err := db.WithContext(ctx).Raw("SELECT pg_has_role(current_user, ?, 'MEMBER')", r).Scan(&member).Error; err != nil {
			return nil, fmt.Errorf("models: membership of %s: %w", r, err)
		}
		if !member {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		out = append(out, Finding{fmt.Sprintf("the login role %s cannot switch to %s", me.Rolname, strings.Join(missing, ", ")),
			fmt.Sprintf("GRANT %s TO %s", strings.Join(missing, ", "), me.Rolname)})
	}
	return out, nil
}

// DataKeyIDsInUse are the ids of the data keys the newest encrypted case
// values and referrals name (org.data_key_ids(), as kurve_jobs).
func DataKeyIDsInUse(ctx context.Context, db *gorm.DB) ([]string, error) {
	var ids []string
	err := InTx(ctx, db, DBJobs, Actor{}, func(st *Store) error {
		return st.db.Raw("SELECT id FROM org.data_key_ids() AS id ORDER BY 1").Scan(&ids).Error
	})
	if err != nil {
		return nil, fmt.Errorf("models: data keys in use: %w", err)
	}
	return ids, nil
}

// CheckDataKeys reports the key ids in use that none of keys is: data the
// server could not read, as after a restore with the wrong key.
func CheckDataKeys(ctx context.Context, db *gorm.DB, keys []DataKey) ([]Finding, error) {
	ids, err := DataKeyIDsInUse(ctx, db)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k.ID] = true
	}
	var unknown []string
	for _, id := range ids {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) == 0 {
		return nil, nil
	}
	return []Finding{{Problem: fmt.Sprintf("the database holds values encrypted with data key(s) %s, which are neither KURVE_DATA_KEY nor in KURVE_OLD_DATA_KEYS: nothing of them could be read",
		strings.Join(unknown, ", ")),
		Fix: "start with the key the data was written with (KURVE_DATA_KEY_FILE from the key store that belongs to this backup); a new key goes into KURVE_DATA_KEY only with the old one in KURVE_OLD_DATA_KEYS"}}, nil
}
