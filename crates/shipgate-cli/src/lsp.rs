//! `shipgate lsp`: a language server over standard input and output (docs/editors.md).
//!
//! The policy set of an opened `.gate` file is every `.gate` file of its folder (recursively,
//! as `--policy DIR` reads it), with the text of the files open in the editor in place of
//! what is saved. On each open and change the set is compiled: its errors and warnings, and
//! the lint's findings, are published for every file of the set. Hover and go to definition
//! read the set's symbol index. All the logic is the engine's; this converts positions
//! (byte offsets to UTF-16 lines and columns) and messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    Diagnostic, DiagnosticSeverity, GotoDefinitionParams, GotoDefinitionResponse, Hover,
    HoverContents, HoverParams, HoverProviderCapability, Location, MarkupContent, MarkupKind,
    NumberOrString, OneOf, Position, PublishDiagnosticsParams, Range, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use shipgate::{Engine, Error, Severity, SourceRange, SymbolIndex, utf16_position};

/// Runs the server until the client asks it to exit; exit code 0, or 3 when the connection
/// breaks.
pub fn serve() -> Result<u8, Error> {
    let broken = |e: String| Error::Io {
        path: "<stdio>".into(),
        message: format!("language server connection: {e}"),
    };
    let (connection, io) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|e| broken(e.to_string()))?;
    connection
        .initialize(capabilities)
        .map_err(|e| broken(e.to_string()))?;
    let mut server = Server {
        open: HashMap::new(),
        published: HashMap::new(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection
                    .handle_shutdown(&req)
                    .map_err(|e| broken(e.to_string()))?
                {
                    break;
                }
                let response = server.request(req);
                send(&connection, Message::Response(response))?;
            }
            Message::Notification(n) => {
                for out in server.notification(n) {
                    send(&connection, Message::Notification(out))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    drop(connection);
    io.join().map_err(|e| broken(e.to_string()))?;
    Ok(0)
}

fn send(connection: &Connection, message: Message) -> Result<(), Error> {
    connection.sender.send(message).map_err(|e| Error::Io {
        path: "<stdio>".into(),
        message: format!("language server connection: {e}"),
    })
}

struct Server {
    /// The text of each open document, by path.
    open: HashMap<PathBuf, String>,
    /// The files diagnostics were last published for, by the folder of their set: those
    /// that no longer have any are cleared.
    published: HashMap<PathBuf, Vec<PathBuf>>,
}

/// A policy set as the server reads it: its folder and each file's path and text.
struct PolicySet {
    root: Option<PathBuf>,
    files: Vec<(PathBuf, String)>,
}

impl PolicySet {
    fn sources(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .map(|(p, t)| (p.display().to_string(), t.clone()))
            .collect()
    }

    fn text(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p.display().to_string() == path)
            .map(|(_, t)| t.as_str())
    }

    /// The LSP range of a byte range of one of the set's files.
    fn range(&self, r: &SourceRange) -> Range {
        let text = self.text(&r.path).unwrap_or("");
        let (sl, sc) = utf16_position(text, r.start);
        let (el, ec) = utf16_position(text, r.end.max(r.start));
        Range::new(Position::new(sl, sc), Position::new(el, ec))
    }
}

impl Server {
    /// The set the file at `path` belongs to: its folder's `.gate` files, open ones as the
    /// editor has them.
    fn set_of(&self, path: &Path) -> PolicySet {
        let root = path.parent().map(Path::to_path_buf);
        let mut paths: Vec<PathBuf> = root
            .as_ref()
            .and_then(|r| shipgate::policy_files(std::slice::from_ref(r)).ok())
            .unwrap_or_default();
        if !paths.iter().any(|p| p == path) {
            paths.push(path.to_path_buf());
        }
        // Open documents of the folder that are not saved yet.
        for open in self.open.keys() {
            if open.parent() == path.parent() && !paths.contains(open) {
                paths.push(open.clone());
            }
        }
        paths.sort();
        let files = paths
            .into_iter()
            .filter_map(|p| {
                let text = match self.open.get(&p) {
                    Some(t) => t.clone(),
                    None => std::fs::read_to_string(&p).ok()?,
                };
                Some((p, text))
            })
            .collect();
        PolicySet { root, files }
    }

    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let changed = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = path_of(&p.text_document.uri)?;
                        self.open.insert(path.clone(), p.text_document.text);
                        Some(path)
                    })
            }
            DidChangeTextDocument::METHOD => {
                serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = path_of(&p.text_document.uri)?;
                        // Full sync: the last change holds the whole text.
                        let text = p.content_changes.into_iter().last()?.text;
                        self.open.insert(path.clone(), text);
                        Some(path)
                    })
            }
            DidCloseTextDocument::METHOD => {
                serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = path_of(&p.text_document.uri)?;
                        self.open.remove(&path);
                        Some(path)
                    })
            }
            _ => None,
        };
        match changed {
            Some(path) => self.diagnose(&path),
            None => Vec::new(),
        }
    }

    /// Compiles and lints the set of `path`; one `publishDiagnostics` per file of the set
    /// (an empty list clears a file's earlier ones).
    fn diagnose(&mut self, path: &Path) -> Vec<Notification> {
        let set = self.set_of(path);
        let mut by_file: HashMap<String, Vec<Diagnostic>> = set
            .files
            .iter()
            .map(|(p, _)| (p.display().to_string(), Vec::new()))
            .collect();
        let mut add =
            |range: &SourceRange, severity: Severity, code: Option<&str>, message: String| {
                let diagnostic = Diagnostic {
                    range: set.range(range),
                    severity: Some(match severity {
                        Severity::Error => DiagnosticSeverity::ERROR,
                        _ => DiagnosticSeverity::WARNING,
                    }),
                    code: code.map(|c| NumberOrString::String(c.to_string())),
                    source: Some("shipgate".into()),
                    message,
                    ..Diagnostic::default()
                };
                let file = if by_file.contains_key(&range.path) {
                    range.path.clone()
                } else {
                    path.display().to_string()
                };
                by_file.entry(file).or_default().push(diagnostic);
            };
        match Engine::from_sources(set.sources(), set.root.clone()) {
            Ok(engine) => {
                for w in engine.warnings() {
                    add(
                        &engine.warning_range(w),
                        Severity::Warning,
                        None,
                        message_of(w),
                    );
                }
                for f in engine.lint(chrono::Utc::now()) {
                    let message = format!("{} ({})", f.message, f.help);
                    // The lint's findings are advice while typing: warnings.
                    add(&f.range, Severity::Warning, Some(f.code), message);
                }
            }
            Err(Error::Policy(e)) => {
                for d in e.diagnostics() {
                    add(&e.range_of(d), d.severity(), None, message_of(d));
                }
            }
            Err(other) => add(
                &SourceRange {
                    path: path.display().to_string(),
                    ..SourceRange::default()
                },
                Severity::Error,
                None,
                other.to_string(),
            ),
        }
        let key = set.root.clone().unwrap_or_default();
        let now: Vec<PathBuf> = by_file.keys().map(PathBuf::from).collect();
        let before = self.published.insert(key, now.clone()).unwrap_or_default();
        for gone in before.into_iter().filter(|p| !now.contains(p)) {
            by_file.entry(gone.display().to_string()).or_default();
        }
        let mut files: Vec<(String, Vec<Diagnostic>)> = by_file.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
            .into_iter()
            .filter_map(|(file, diagnostics)| {
                let uri = uri_of(Path::new(&file))?;
                let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
                Some(Notification::new(
                    PublishDiagnostics::METHOD.to_string(),
                    params,
                ))
            })
            .collect()
    }

    fn request(&self, req: Request) -> Response {
        let id = req.id.clone();
        let result = match req.method.as_str() {
            HoverRequest::METHOD => serde_json::from_value::<HoverParams>(req.params)
                .ok()
                .and_then(|p| self.hover(p))
                .map(|h| serde_json::to_value(h).unwrap_or_default()),
            GotoDefinition::METHOD => serde_json::from_value::<GotoDefinitionParams>(req.params)
                .ok()
                .and_then(|p| self.definition(p))
                .map(|d| serde_json::to_value(d).unwrap_or_default()),
            _ => {
                return Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("not supported: {}", req.method),
                );
            }
        };
        Response::new_ok(id, result.unwrap_or(serde_json::Value::Null))
    }

    /// The set, its symbol index, the file's name in it and the byte offset of a position.
    fn locate(&self, uri: &Uri, at: Position) -> Option<(PolicySet, SymbolIndex, String, usize)> {
        let path = path_of(uri)?;
        let set = self.set_of(&path);
        let index = SymbolIndex::of_sources(&set.sources());
        let name = path.display().to_string();
        let offset = index.offset_of(&name, at.line, at.character)?;
        Some((set, index, name, offset))
    }

    fn hover(&self, p: HoverParams) -> Option<Hover> {
        let tp = p.text_document_position_params;
        let (_, index, name, offset) = self.locate(&tp.text_document.uri, tp.position)?;
        let text = index.hover_at(&name, offset)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: format!("```gate\n{text}\n```"),
            }),
            range: None,
        })
    }

    fn definition(&self, p: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let tp = p.text_document_position_params;
        let (set, index, name, offset) = self.locate(&tp.text_document.uri, tp.position)?;
        let symbol = index.definition_at(&name, offset)?;
        let uri = uri_of(Path::new(&symbol.definition.path))?;
        Some(GotoDefinitionResponse::Scalar(Location::new(
            uri,
            set.range(&symbol.definition),
        )))
    }
}

/// A diagnostic's message with its label and help, as one editor message.
fn message_of(d: &shipgate::Diagnostic) -> String {
    let mut m = d.message().to_string();
    if !d.label().is_empty() {
        m.push_str(&format!(": {}", d.label()));
    }
    if let Some(h) = d.help() {
        m.push_str(&format!(" (help: {h})"));
    }
    m
}

/// The file path of a `file:` URI, percent-decoded.
fn path_of(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => {
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The `file:` URI of a path, percent-encoding what a URI path may not hold.
fn uri_of(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.parse().ok()
}
