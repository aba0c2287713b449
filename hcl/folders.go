package hcl

import (
	"fmt"
	"regexp"
	"strings"

	hashicl "github.com/hashicorp/hcl/v2"
)

// folders are the dynamic_dir, cache_dir, local_dir and writable blocks
// of a recipe or a site.
type folders struct {
	Dynamic  []DynamicDir
	Cache    []CacheDir
	Local    []LocalDir
	Writable []Writable
}

var modePattern = regexp.MustCompile(`^0?[0-7]{3}$`)

// decodeFolders decodes the folder blocks in content; owner ("recipe
// \"dolphin\"", "site \"community\"") names where they were found.
func (d *decoder) decodeFolders(content *hashicl.BodyContent, ctx *hashicl.EvalContext, owner string) folders {
	var f folders
	for _, b := range content.Blocks {
		p, ok := d.folderPath(b, owner)
		switch b.Type {
		case "dynamic_dir":
			c, ds := b.Body.Content(dynamicDirSchema)
			d.diags = append(d.diags, ds...)
			dir := DynamicDir{Path: p, DeclRange: b.DefRange}
			a := attrs{all: c.Attributes, ctx: ctx}
			a.string("shared", &dir.Shared)
			d.diags = append(d.diags, a.diags...)
			if dir.Shared == "" {
				dir.Shared = p
			} else if clean, problem := checkRelPath(dir.Shared, siteShared); problem != "" {
				d.diags = append(d.diags, errorAt(rangeOf(c.Attributes, "shared", b.DefRange), "Invalid shared path",
					"%s: shared path %q of dynamic_dir %q %s.", owner, dir.Shared, p, problem))
				ok = false
			} else {
				dir.Shared = clean
			}
			if ok && !a.diags.HasErrors() {
				f.Dynamic = append(f.Dynamic, dir)
			}
		case "cache_dir":
			keep, kept := d.decodeKeep(b, ctx, owner, p)
			if ok && kept {
				f.Cache = append(f.Cache, CacheDir{Path: p, Keep: keep, DeclRange: b.DefRange})
			}
		case "local_dir":
			keep, kept := d.decodeKeep(b, ctx, owner, p)
			if ok && kept {
				f.Local = append(f.Local, LocalDir{Path: p, Keep: keep, DeclRange: b.DefRange})
			}
		case "writable":
			c, ds := b.Body.Content(writableSchema)
			d.diags = append(d.diags, ds...)
			w := Writable{Path: p, DeclRange: b.DefRange}
			a := attrs{all: c.Attributes, ctx: ctx}
			a.string("mode", &w.Mode)
			d.diags = append(d.diags, a.diags...)
			if w.Mode != "" && !modePattern.MatchString(w.Mode) {
				d.diags = append(d.diags, errorAt(rangeOf(c.Attributes, "mode", b.DefRange), "Invalid mode",
					"%s: writable %q: mode %q is not an octal mode like \"0775\".", owner, p, w.Mode))
				ok = false
			}
			if ok && !a.diags.HasErrors() {
				f.Writable = append(f.Writable, w)
			}
		}
	}
	return f
}

// decodeKeep reads a cache_dir's or local_dir's keep: names of entries
// directly in the folder, each one plain name.
func (d *decoder) decodeKeep(b *hashicl.Block, ctx *hashicl.EvalContext, owner, dir string) ([]string, bool) {
	c, ds := b.Body.Content(cacheDirSchema)
	d.diags = append(d.diags, ds...)
	a := attrs{all: c.Attributes, ctx: ctx}
	var keep []string
	a.strings("keep", &keep)
	d.diags = append(d.diags, a.diags...)
	ok := !ds.HasErrors() && !a.diags.HasErrors()
	for _, k := range keep {
		if k == "" || k == "." || k == ".." || strings.Contains(k, "/") || hasOddBytes(k) {
			d.diags = append(d.diags, errorAt(rangeOf(c.Attributes, "keep", b.DefRange), "Invalid keep name",
				"%s: %s %q: keep %q must name one entry directly in the folder, like \"index.html\".", owner, b.Type, dir, k))
			ok = false
		}
	}
	return keep, ok
}

// folderPath checks a folder block's label and returns it cleaned.
func (d *decoder) folderPath(b *hashicl.Block, owner string) (string, bool) {
	clean, problem := checkRelPath(b.Labels[0], siteRoot)
	if problem != "" {
		d.diags = append(d.diags, errorAt(b.LabelRanges[0].Ptr(), "Invalid folder path",
			"%s: %s %q %s.", owner, b.Type, b.Labels[0], problem))
		return "", false
	}
	return clean, true
}

// merge returns base with add's entries applied: an entry for a path base
// already has replaces it in place, others are appended.
func (base folders) merge(add folders) folders {
	out := folders{
		Dynamic:  append([]DynamicDir(nil), base.Dynamic...),
		Cache:    append([]CacheDir(nil), base.Cache...),
		Local:    append([]LocalDir(nil), base.Local...),
		Writable: append([]Writable(nil), base.Writable...),
	}
	out.Dynamic = mergeByPath(out.Dynamic, add.Dynamic, func(d DynamicDir) string { return d.Path })
	out.Cache = mergeByPath(out.Cache, add.Cache, func(c CacheDir) string { return c.Path })
	out.Local = mergeByPath(out.Local, add.Local, func(l LocalDir) string { return l.Path })
	out.Writable = mergeByPath(out.Writable, add.Writable, func(w Writable) string { return w.Path })
	return out
}

func mergeByPath[T any](base, add []T, pathOf func(T) string) []T {
	for _, a := range add {
		replaced := false
		for i := range base {
			if pathOf(base[i]) == pathOf(a) {
				base[i], replaced = a, true
				break
			}
		}
		if !replaced {
			base = append(base, a)
		}
	}
	return base
}

// check reports folders that would fight each other: a dynamic folder
// inside another (relocating the outer one moves the inner's data
// twice), two dynamic folders sharing storage, and a cache inside a
// dynamic folder or around one (purging would delete user data).
func (f folders) check(owner string) hashicl.Diagnostics {
	var diags hashicl.Diagnostics
	for i, a := range f.Dynamic {
		for _, b := range f.Dynamic[:i] {
			if within(a.Path, b.Path) || within(b.Path, a.Path) {
				diags = append(diags, errorAt(a.DeclRange.Ptr(), "Nested dynamic folders",
					"%s: dynamic_dir %q and dynamic_dir %q (%s) are nested; keep only the outer one.", owner, a.Path, b.Path, b.DeclRange))
			} else if within(a.Shared, b.Shared) || within(b.Shared, a.Shared) {
				diags = append(diags, errorAt(a.DeclRange.Ptr(), "Overlapping shared folders",
					"%s: dynamic_dir %q is shared at %q and dynamic_dir %q at %q; their data would mix.", owner, a.Path, a.Shared, b.Path, b.Shared))
			}
		}
	}
	for _, l := range f.Local {
		for _, dyn := range f.Dynamic {
			if within(l.Path, dyn.Path) || within(dyn.Path, l.Path) {
				diags = append(diags, errorAt(l.DeclRange.Ptr(), "Local and dynamic folders overlap",
					"%s: local_dir %q and dynamic_dir %q (%s) are nested; a folder is either on the storage or on each node.", owner, l.Path, dyn.Path, dyn.DeclRange))
			}
		}
		for _, c := range f.Cache {
			if within(l.Path, c.Path) || within(c.Path, l.Path) {
				diags = append(diags, errorAt(l.DeclRange.Ptr(), "Local and cache folders overlap",
					"%s: local_dir %q and cache_dir %q (%s) are nested; purging the cache would empty the local folder.", owner, l.Path, c.Path, c.DeclRange))
			}
		}
	}
	for _, c := range f.Cache {
		for _, dyn := range f.Dynamic {
			if within(c.Path, dyn.Path) || within(dyn.Path, c.Path) {
				diags = append(diags, errorAt(c.DeclRange.Ptr(), "Cache and dynamic folders overlap",
					"%s: cache_dir %q and dynamic_dir %q (%s) are nested; purging the cache would delete user data.", owner, c.Path, dyn.Path, dyn.DeclRange))
			}
		}
	}
	return diags
}

func describe(kind, name string) string { return fmt.Sprintf("%s %q", kind, name) }
