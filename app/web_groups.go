package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"kurve/models"
)

// Groups for sessions (issue 15): social-skills training runs in fixed
// groups. Coordinators and social workers keep named groups of children
// of their site; the quick session form offers them. Row security decides
// who sees which member: a social worker sees of a shared group their own
// cases only. The members are added by case number or, for a social
// worker, from their caseload; no page lists the whole site.

type groupListData struct {
	Groups []models.Group
	// Name is the new group's name as typed.
	Name string
}

// groupList shows the site's current groups with their visible members'
// count, and the form for a new one.
func (h *handlers) groupList(c *fiber.Ctx) error {
	return h.renderGroupList(c, "", nil)
}

func (h *handlers) renderGroupList(c *fiber.Ctx, name string, ve *models.ValidationError) error {
	gs, err := store(c).Groups()
	if err != nil {
		return err
	}
	page := h.s.newPage(c, "group.title", groupListData{Groups: gs, Name: name})
	if ve != nil {
		page.Errors = formErrors(h.s.localizer(c), ve)
	}
	return h.s.renderPage(c, "group_list.html", page)
}

// groupCreate creates a group owned by the user and opens it, to add the
// children; a name refused is shown on the form again.
func (h *handlers) groupCreate(c *fiber.Ctx) error {
	name := strings.TrimSpace(c.FormValue("name"))
	g, err := store(c).CreateGroup(name)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderGroupList(c.Status(fiber.StatusUnprocessableEntity), name, ve)
	}
	if err != nil {
		return err
	}
	if err := audit(c, currentUser(c), models.AuditGroupCreate, "group", g.ID, nil); err != nil {
		return err
	}
	if err := setFlash(c, "flash.group_created"); err != nil {
		return err
	}
	return c.Redirect("/groups/"+g.ID, fiber.StatusSeeOther)
}

// groupPageData is one group: its members, the rename form, and the
// children that may be added (found by case number, or the social
// worker's own caseload), members left out.
type groupPageData struct {
	G       *models.Group
	Members []models.ChildName
	// CanChange: the owner or a coordinator, who may rename and archive
	// (row security decides; this only hides the forms from others).
	CanChange bool
	Name      string
	Query     string
	Searched  bool
	More      bool
	Found     []models.ChildName
	Caseload  []models.ChildName
	SearchMax int
}

// groupShow shows a group. ?q= searches children to add by case number.
// The read is audited with how many children the page lists.
func (h *handlers) groupShow(c *fiber.Ctx) error {
	return h.renderGroup(c, "", nil)
}

func (h *handlers) renderGroup(c *fiber.Ctx, name string, ve *models.ValidationError) error {
	st, u := store(c), currentUser(c)
	g, err := st.GroupByID(c.Params("id"))
	if err != nil {
		return err
	}
	d := groupPageData{G: g, Name: g.Name, Query: strings.TrimSpace(c.Query("q")), SearchMax: models.MaxChildSearch,
		CanChange: !g.Archived() && (u.Role == models.RoleCoordinator || g.OwnerID == u.ID)}
	if ve != nil {
		d.Name = name
	}
	if d.Members, err = st.GroupMembers(g.ID); err != nil {
		return err
	}
	if !g.Archived() {
		if d.Query != "" {
			d.Searched = true
			if d.Found, d.More, err = st.ChildrenByCaseNumber(d.Query, models.OpenStatuses...); err != nil {
				return err
			}
			d.Found = notMembers(d.Found, d.Members)
		}
		if u.Role == models.RoleSocialWorker {
			if d.Caseload, err = st.Caseload(models.OpenStatuses...); err != nil {
				return err
			}
			d.Caseload = notMembers(d.Caseload, d.Members)
		}
	}
	if err := audit(c, u, models.AuditGroupRead, "group", g.ID, map[string]any{"members": len(d.Members),
		"listed": len(d.Found) + len(d.Caseload)}); err != nil {
		return err
	}
	page := h.s.newPage(c, "group.show_title", d)
	if ve != nil {
		page.Errors = formErrors(h.s.localizer(c), ve)
	}
	return h.s.renderPage(c, "group_show.html", page)
}

// notMembers leaves out of list the children that are members already.
func notMembers(list, members []models.ChildName) []models.ChildName {
	in := map[string]bool{}
	for _, m := range members {
		in[m.ID] = true
	}
	out := list[:0]
	for _, c := range list {
		if !in[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// groupUpdate renames a group (its owner or a coordinator).
func (h *handlers) groupUpdate(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	name := strings.TrimSpace(c.FormValue("name"))
	_, err := store(c).RenameGroup(id, name)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderGroup(c.Status(fiber.StatusUnprocessableEntity), name, ve)
	}
	if err != nil {
		return err
	}
	return h.groupDone(c, id, models.AuditGroupUpdate, map[string]any{"renamed": true}, "flash.group_saved", "/groups/"+id)
}

// groupArchive takes a group out of use; back to the list.
func (h *handlers) groupArchive(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	if err := store(c).ArchiveGroup(id); err != nil {
		return err
	}
	return h.groupDone(c, id, models.AuditGroupUpdate, map[string]any{"archived": true}, "flash.group_archived", "/groups")
}

// groupMembersAdd adds the ticked children; none ticked is a form error.
// The audit names the children asked for, by id.
func (h *handlers) groupMembersAdd(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("id"))
	var ids []string
	for _, v := range formValues(c, "participant_ids") {
		if ref := participantRef(v); ref != "" {
			ids = append(ids, ref)
		}
	}
	if len(ids) == 0 {
		v := &models.ValidationError{}
		v.Add("participant_ids", "validation.group_pick", nil)
		return h.renderGroup(c.Status(fiber.StatusUnprocessableEntity), "", v)
	}
	n, err := store(c).AddGroupMembers(id, ids)
	if err != nil {
		return err
	}
	return h.groupDone(c, id, models.AuditGroupMembers, map[string]any{"added": n, "participant_ids": ids}, "flash.group_members_added", "/groups/"+id)
}

// groupMemberRemove takes one child out of a group.
func (h *handlers) groupMemberRemove(c *fiber.Ctx) error {
	id, pid := utils.CopyString(c.Params("id")), utils.CopyString(c.Params("pid"))
	if err := store(c).RemoveGroupMember(id, pid); err != nil {
		return err
	}
	return h.groupDone(c, id, models.AuditGroupMembers, map[string]any{"removed": pid}, "flash.group_member_removed", "/groups/"+id)
}

// groupDone audits a change, leaves its flash and goes to next.
func (h *handlers) groupDone(c *fiber.Ctx, id, action string, details map[string]any, flash, next string) error {
	if err := audit(c, currentUser(c), action, "group", id, details); err != nil {
		return err
	}
	if err := setFlash(c, flash); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}
