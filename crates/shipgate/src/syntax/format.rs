//! The canonical layout of a `.gate` file (`shipgate fmt`, docs/authoring.md).
//!
//! The formatter prints pest's tokens as written (names, strings, numbers, durations keep
//! their spelling), and changes only what lies between them: one item after another at the
//! left margin, the statements of a block (`rule`, `calendar`, `strategy`, `rollback`) one per
//! line indented by two spaces, single spaces between tokens, none inside brackets or around
//! `.`, and commas normalised in `extend` blocks; consecutive lines of one kind align a
//! column (`tier ... when`, `condition ... =`). A line break inside an expression is kept
//! (the line continues four spaces deeper), as is one blank line between items or
//! statements. Comments stay where they were: one after code stays after it, one on its own
//! line stays on its own line before what follows it.
//!
//! The tokens of the result are checked against the input's before anything is returned, so
//! formatting cannot change what a policy says.

use pest::Parser as _;

use super::grammar::{GateParser, P, Rule};
use super::nesting::nesting_overflow;

/// How many columns a block's statements are indented by.
const INDENT: usize = 2;
/// How much deeper a statement's continuation lines go.
const CONTINUATION: usize = 4;

/// Where a token starts relative to the one before it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Break {
    /// A top-level item: a new line at the margin; a blank line kept.
    Item,
    /// A statement of a block, at this indent: a new line; a blank line kept.
    Stmt(usize),
    /// A block's closing `}` at this indent (its comments go one level deeper).
    Close(usize),
    /// On the same line; a source line break is kept when `keep` (inside an expression), at
    /// continuation indent `cont`.
    Inline { keep: bool, cont: usize },
}

struct Tok<'s> {
    text: &'s str,
    start: usize,
    end: usize,
    brk: Break,
    /// No space between this token and the one before.
    tight_before: bool,
    /// No space between this token and the one after.
    tight_after: bool,
    /// The column this token starts at is aligned with the same kind of token on the lines
    /// next to it (`when` of consecutive `tier` lines).
    align: Option<Align>,
}

/// What an aligned column is aligned with: the same token in consecutive lines of one kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Align {
    /// `when` of `tier NAME when ...`
    Tier,
    /// `=` of `condition NAME = ...`
    Condition,
    /// `uses` of `region NAME uses ...`
    Region,
    /// `when` / `otherwise` of a strategy arm
    Arm,
    /// the kind of a blackout after its name
    Blackout,
    /// the times of a `window` after its days
    Window,
}

/// Why text could not be formatted.
#[derive(Debug)]
pub enum FormatError {
    /// The text does not parse (the parser's diagnostics say where).
    Syntax,
    /// The formatted text would say something else: a bug, reported rather than written.
    Changed,
}

/// `text` (a whole `.gate` file) in the canonical layout.
pub fn format(text: &str) -> Result<String, FormatError> {
    let bom = text.starts_with('\u{feff}');
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let toks = tokens(body)?;
    let mut out = String::with_capacity(body.len() + body.len() / 8);
    if bom {
        out.push('\u{feff}');
    }
    print(body, &toks, &mut out);
    // The result must hold the same tokens (bar commas, which the layout may add or drop in
    // `extend` blocks) and the same comments, in the same order.
    let formatted = out.strip_prefix('\u{feff}').unwrap_or(&out);
    let again = tokens(formatted).map_err(|_| FormatError::Changed)?;
    let words = |s: &str, t: &[Tok<'_>]| -> (Vec<String>, Vec<String>) {
        let w = t
            .iter()
            .filter(|t| t.text != ",")
            .map(|t| t.text.to_owned())
            .collect();
        let mut c = Vec::new();
        let mut prev = 0;
        for t in t.iter().chain(std::iter::once(&Tok {
            text: "",
            start: s.len(),
            end: s.len(),
            brk: Break::Item,
            tight_before: false,
            tight_after: false,
            align: None,
        })) {
            if t.start >= prev {
                c.extend(
                    comments(s.get(prev..t.start).unwrap_or(""))
                        .into_iter()
                        .map(|c| c.text.to_owned()),
                );
            }
            prev = prev.max(t.end);
        }
        (w, c)
    };
    if words(body, &toks) != words(formatted, &again) {
        return Err(FormatError::Changed);
    }
    Ok(out)
}

/// The tokens of `body` with their layout.
fn tokens(body: &str) -> Result<Vec<Tok<'_>>, FormatError> {
    if nesting_overflow(body).is_some() {
        return Err(FormatError::Syntax);
    }
    let pairs = GateParser::parse(Rule::file, body).map_err(|_| FormatError::Syntax)?;
    let mut w = Walker {
        toks: Vec::new(),
        pending: None,
        align_next: None,
    };
    for file in pairs {
        for item in file.into_inner() {
            if item.as_rule() == Rule::item {
                for decl in item.into_inner() {
                    w.pending = Some(Break::Item);
                    w.walk(decl, Ctx::default());
                }
            }
        }
    }
    Ok(w.toks)
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    /// Block depth: statements of this context's blocks are indented by `(level + 1) * 2`.
    level: usize,
    in_expr: bool,
    /// Inside `time_range` or `day_range`: `09:00-16:00`, `mon-thu`.
    tight_dash: bool,
}

struct Walker<'s> {
    toks: Vec<Tok<'s>>,
    /// The break of the next token (the first of an item or statement).
    pending: Option<Break>,
    /// The alignment of the next token.
    align_next: Option<Align>,
}

/// The aligned token of each kind of line: a child of `parent` whose rule is `child`.
fn align_of(parent: Rule, child: Rule) -> Option<Align> {
    match (parent, child) {
        (Rule::tier_decl, Rule::kw_when) => Some(Align::Tier),
        (Rule::condition_decl, Rule::assign) => Some(Align::Condition),
        (Rule::region_decl, Rule::kw_uses) => Some(Align::Region),
        (Rule::strategy_arm, Rule::kw_when | Rule::kw_otherwise) => Some(Align::Arm),
        (Rule::blackout_entry, Rule::blackout_spec) => Some(Align::Blackout),
        (Rule::window_entry, Rule::time_range) => Some(Align::Window),
        _ => None,
    }
}

impl<'s> Walker<'s> {
    fn leaf(&mut self, p: &P<'s>, ctx: Ctx) {
        let rule = p.as_rule();
        let cont = ctx.level * INDENT + CONTINUATION;
        let brk = self.pending.take().unwrap_or(Break::Inline {
            keep: ctx.in_expr,
            cont,
        });
        let span = p.as_span();
        let dash = rule == Rule::dash && ctx.tight_dash;
        let align = self.align_next.take();
        self.toks.push(Tok {
            align,
            text: span.as_str(),
            start: span.start(),
            end: span.end(),
            brk,
            tight_before: dash
                || matches!(
                    rule,
                    Rule::comma
                        | Rule::colon
                        | Rule::rparen
                        | Rule::rbracket
                        | Rule::rangle
                        | Rule::question
                        | Rule::op_dot
                        | Rule::call_open
                        | Rule::dotdot
                        | Rule::langle
                ),
            tight_after: dash
                || matches!(
                    rule,
                    Rule::lparen
                        | Rule::lbracket
                        | Rule::langle
                        | Rule::op_dot
                        | Rule::call_open
                        | Rule::op_neg
                        | Rule::dotdot
                ),
        });
    }

    /// A token the layout adds (a comma between inline `extend` fields), after the last one.
    fn synthetic(&mut self, text: &'static str, ctx: Ctx) {
        let at = self.toks.last().map_or(0, |t| t.end);
        self.toks.push(Tok {
            text,
            start: at,
            end: at,
            brk: Break::Inline {
                keep: false,
                cont: ctx.level * INDENT + CONTINUATION,
            },
            tight_before: true,
            tight_after: false,
            align: None,
        });
    }

    fn walk(&mut self, p: P<'s>, ctx: Ctx) {
        let rule = p.as_rule();
        match rule {
            Rule::EOI => {}
            Rule::string => self.leaf(&p, ctx),
            Rule::calendar_decl | Rule::rule_decl | Rule::strategy_decl | Rule::rollback_block => {
                self.block(p, ctx)
            }
            Rule::extend_decl | Rule::record_type => self.fields(p, ctx),
            _ => {
                let inner = Ctx {
                    in_expr: ctx.in_expr || rule == Rule::expr,
                    tight_dash: matches!(rule, Rule::time_range | Rule::day_range),
                    ..ctx
                };
                let mut any = false;
                let mut children = p.clone().into_inner().peekable();
                while let Some(c) = children.next() {
                    any = true;
                    // A comma before a closing bracket is dropped: `[a, b]`, `f(a, b)`.
                    let closes = children
                        .peek()
                        .is_some_and(|n| matches!(n.as_rule(), Rule::rbracket | Rule::rparen));
                    if c.as_rule() == Rule::comma && closes {
                        continue;
                    }
                    if let Some(a) = align_of(rule, c.as_rule()) {
                        self.align_next = Some(a);
                    }
                    self.walk(c, inner);
                }
                if !any {
                    self.leaf(&p, ctx);
                }
            }
        }
    }

    /// A block: `{`, each statement on a line of its own one level deeper, `}`.
    fn block(&mut self, p: P<'s>, ctx: Ctx) {
        let inner = Ctx {
            level: ctx.level + 1,
            ..ctx
        };
        let stmt = match p.as_rule() {
            Rule::calendar_decl => Rule::calendar_entry,
            Rule::rule_decl => Rule::rule_stmt,
            Rule::strategy_decl => Rule::strategy_arm,
            _ => Rule::trigger_decl,
        };
        for c in p.into_inner() {
            let r = c.as_rule();
            if r == stmt {
                self.pending = Some(Break::Stmt(inner.level * INDENT));
                self.walk(c, inner);
            } else if r == Rule::rbrace {
                self.pending = Some(Break::Close(ctx.level * INDENT));
                self.leaf(&c, ctx);
            } else {
                self.walk(c, ctx);
            }
        }
    }

    /// `extend change { a: T, b: U }` and record types: on one line with a comma between
    /// fields; an `extend` block written over several lines keeps one field a line, without
    /// commas.
    fn fields(&mut self, p: P<'s>, ctx: Ctx) {
        let lines = p.as_rule() == Rule::extend_decl && p.as_str().contains('\n');
        let inner = Ctx {
            level: ctx.level + 1,
            ..ctx
        };
        let mut first = true;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::comma => {}
                Rule::field_decl if lines => {
                    self.pending = Some(Break::Stmt(inner.level * INDENT));
                    self.walk(c, inner);
                }
                Rule::field_decl => {
                    if !first {
                        self.synthetic(",", ctx);
                    }
                    first = false;
                    self.walk(c, ctx);
                }
                Rule::rbrace if lines => {
                    self.pending = Some(Break::Close(ctx.level * INDENT));
                    self.leaf(&c, ctx);
                }
                _ => self.walk(c, ctx),
            }
        }
    }
}

struct Comment<'s> {
    text: &'s str,
    /// Line breaks between what precedes the comment in its gap and the comment.
    newlines_before: usize,
}

/// The comments in a gap between two tokens (only whitespace, comments and dropped commas).
fn comments(gap: &str) -> Vec<Comment<'_>> {
    let mut out = Vec::new();
    let mut newlines = 0;
    let mut rest = gap;
    while let Some(i) = rest.find(['#', '\n']) {
        let from = rest.get(i..).unwrap_or("");
        if from.starts_with('\n') {
            newlines += 1;
            rest = from.get(1..).unwrap_or("");
        } else {
            let end = from.find('\n').unwrap_or(from.len());
            let (text, after) = from.split_at(end);
            out.push(Comment {
                text: text.trim_end(),
                newlines_before: newlines,
            });
            newlines = 0;
            rest = after;
        }
    }
    out
}

/// The line breaks after the last comment of a gap (or in the whole gap without comments).
fn trailing_newlines(gap: &str) -> usize {
    let tail = match gap.rfind('#') {
        Some(i) => gap.get(i..).unwrap_or(""),
        None => gap,
    };
    tail.matches('\n').count()
}

struct Printer<'o> {
    out: &'o mut String,
    /// Whether the current line holds anything.
    open: bool,
}

impl Printer<'_> {
    fn newline(&mut self, blank: bool) {
        if self.out.is_empty() || self.out.ends_with('\u{feff}') {
            self.open = false;
            return;
        }
        if self.open {
            self.trim_line();
            self.out.push('\n');
            self.open = false;
        }
        if blank && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn trim_line(&mut self) {
        let kept = self.out.trim_end_matches(' ').len();
        self.out.truncate(kept);
    }

    fn start_line(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.open = true;
    }
}

/// An aligned token as printed: where its line starts, where the token starts, and what it
/// aligns with.
struct Anchor {
    line_start: usize,
    at: usize,
    align: Align,
}

fn print(body: &str, toks: &[Tok<'_>], out: &mut String) {
    let mut anchors = Vec::new();
    // Where the line of the current item or statement starts: only a token on that line is
    // aligned (a comment may have broken the statement before it).
    let mut stmt_line = 0;
    let mut p = Printer { out, open: false };
    let mut prev: Option<&Tok<'_>> = None;
    let end = Tok {
        text: "",
        start: body.len(),
        end: body.len(),
        brk: Break::Item,
        tight_before: false,
        tight_after: false,
        align: None,
    };
    for tok in toks.iter().chain(std::iter::once(&end)) {
        let from = prev.map_or(0, |t| t.end);
        let gap = body.get(from..tok.start.max(from)).unwrap_or("");
        let after_open = prev.is_some_and(|t| t.text == "{");
        // Where the token's own line (if it starts one) and comments before it are indented.
        let (line_indent, comment_indent, blank_ok) = match tok.brk {
            Break::Item => (0, 0, true),
            Break::Stmt(i) => (i, i, !after_open),
            Break::Close(i) => (i, i + INDENT, false),
            Break::Inline { cont, .. } => (cont, cont, false),
        };
        let mut forced = false;
        for c in comments(gap) {
            if c.newlines_before == 0 && p.open {
                p.trim_line();
                p.out.push_str("  ");
                p.out.push_str(c.text);
            } else {
                p.newline(blank_ok && c.newlines_before >= 2);
                p.start_line(comment_indent);
                p.out.push_str(c.text);
            }
            forced = true;
        }
        if tok.text.is_empty() {
            break;
        }
        let kept = matches!(tok.brk, Break::Inline { keep: true, .. })
            && prev_in_expr(prev)
            && gap.contains('\n');
        match tok.brk {
            Break::Inline { .. } if !forced && !kept => {
                let tight = tok.tight_before || prev.is_some_and(|t| t.tight_after);
                if !tight && p.open {
                    p.out.push(' ');
                }
                if !p.open {
                    p.start_line(line_indent);
                }
            }
            _ => {
                p.newline(blank_ok && trailing_newlines(gap) >= 2);
                p.start_line(line_indent);
            }
        }
        let line_start = p.out.rfind('\n').map_or(0, |i| i + 1);
        if matches!(tok.brk, Break::Item | Break::Stmt(_)) {
            stmt_line = line_start;
        }
        if let Some(align) = tok.align
            && line_start == stmt_line
        {
            anchors.push(Anchor {
                line_start,
                at: p.out.len(),
                align,
            });
        }
        p.out.push_str(tok.text);
        prev = Some(tok);
    }
    p.newline(false);
    if p.out.ends_with("\n\n") {
        let kept = p.out.trim_end_matches('\n').len() + 1;
        p.out.truncate(kept);
    }
    align(out, &anchors);
}

/// Pads each run of aligned tokens of one kind on consecutive lines to one column (the
/// column of the furthest), as `gofmt` aligns; a blank line, a comment line or another kind
/// of line ends a run.
fn align(out: &mut String, anchors: &[Anchor]) {
    let mut pads: Vec<(usize, usize)> = Vec::new();
    let mut run: Vec<&Anchor> = Vec::new();
    let column = |a: &Anchor| out.get(a.line_start..a.at).map_or(0, |s| s.chars().count());
    let flush = |run: &mut Vec<&Anchor>, pads: &mut Vec<(usize, usize)>| {
        if run.len() > 1 {
            let width = run.iter().map(|a| column(a)).max().unwrap_or(0);
            pads.extend(run.iter().map(|a| (a.at, width - column(a))));
        }
        run.clear();
    };
    for a in anchors {
        let next_line = |prev: &Anchor| {
            out.get(prev.at..)
                .and_then(|rest| rest.find('\n'))
                .map(|i| prev.at + i + 1)
        };
        let continues = run
            .last()
            .is_some_and(|prev| prev.align == a.align && next_line(prev) == Some(a.line_start));
        if !continues {
            flush(&mut run, &mut pads);
        }
        run.push(a);
    }
    flush(&mut run, &mut pads);
    // One pass (inserting pad by pad would cost the text's length each time).
    if pads.iter().all(|(_, pad)| *pad == 0) {
        return;
    }
    let mut padded = String::with_capacity(out.len() + pads.iter().map(|(_, p)| p).sum::<usize>());
    let mut from = 0;
    for (at, pad) in pads {
        padded.push_str(out.get(from..at).unwrap_or(""));
        padded.extend(std::iter::repeat_n(' ', pad));
        from = at;
    }
    padded.push_str(out.get(from..).unwrap_or(""));
    *out = padded;
}

/// Whether the token before is part of an expression (a line break between two tokens of an
/// expression is kept).
fn prev_in_expr(prev: Option<&Tok<'_>>) -> bool {
    prev.is_some_and(|t| matches!(t.brk, Break::Inline { keep: true, .. }))
}
