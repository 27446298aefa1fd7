//! `shipgate lsp` driven as an editor drives it: JSON-RPC over the binary's standard input
//! and output. Initialize, open a file with an error, receive its diagnostics with the exact
//! range (in UTF-16 columns, after characters outside the BMP), fix it, see a lint finding as
//! a warning, hover a field, go to definitions in another file of the folder, shut down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shipgate"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = Some(n.parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.unwrap()];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its result, skipping notifications meanwhile.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.receive();
            if m["id"] == json!(id) {
                assert!(m.get("error").is_none(), "{m}");
                return m["result"].clone();
            }
        }
    }

    fn receive(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s")
    }

    /// The diagnostics published next for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.receive();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn diagnostics_hover_and_definition_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.gate");
    std::fs::write(
        &settings,
        "tiers low, high\n\
         extend change { ticket: string }\n\
         calendar ops timezone \"UTC\" { blackout \"patch\" daily 01:00-02:00 }\n\
         region eu uses ops\n\
         rule cab_review {\n  require approval \"cab\"\n}\n",
    )
    .unwrap();
    let rules = dir.path().join("rules.gate");
    // `𝄞` is one character, four bytes, two UTF-16 units: the error's column counts units.
    let broken = "rule hotfix {\n  deny when \"𝄞\" == change.ticket and change.sise > 1\n  exempt rule cab_review\n}\n";
    std::fs::write(&rules, broken).unwrap();
    let rules_uri = uri(&rules);
    let settings_uri = uri(&settings);

    let mut server = Server::start();
    let init = server.request(
        "initialize",
        json!({"processId": null, "rootUri": uri(dir.path()), "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true, "{init}");
    assert_eq!(init["capabilities"]["definitionProvider"], true, "{init}");
    server.notify("initialized", json!({}));

    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": rules_uri, "languageId": "shipgate", "version": 1, "text": broken}}),
    );
    let diags = server.diagnostics_for(&rules_uri);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["severity"], 1, "an error: {d}");
    assert!(d["message"].as_str().unwrap().contains("sise"), "{d}");
    assert!(
        d["message"].as_str().unwrap().contains("size"),
        "did you mean: {d}"
    );
    // Line 1 (0-based); `sise` starts at its column in UTF-16 units (𝄞 counts two):
    let line = broken.lines().nth(1).unwrap();
    let byte = line.find("sise").unwrap();
    let units: usize = line[..byte].chars().map(char::len_utf16).sum();
    assert_ne!(
        units,
        line[..byte].chars().count(),
        "the test needs a wide character"
    );
    assert_eq!(
        d["range"],
        json!({"start": {"line": 1, "character": units}, "end": {"line": 1, "character": units + 4}}),
        "{d}"
    );

    // Fixed in the editor (not saved): the error goes away.
    let fixed = broken.replace("sise", "size");
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let diags = server.diagnostics_for(&rules_uri);
    assert_eq!(diags, Vec::<Value>::new());

    // A rule that can never fire: the lint's finding, as a warning on the guard.
    let never = format!(
        "{fixed}rule never {{\n  when change.size > 10 and change.size < 5\n  require approval \"cab\"\n}}\n"
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 3}, "contentChanges": [{"text": never}]}),
    );
    let diags = server.diagnostics_for(&rules_uri);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["severity"], 2, "a warning: {}", diags[0]);
    assert_eq!(diags[0]["code"], "SG-L002");
    assert_eq!(
        diags[0]["range"],
        json!({"start": {"line": 5, "character": 7}, "end": {"line": 5, "character": 43}}),
        "the whole guard: {}",
        diags[0]
    );
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules_uri, "version": 4}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(server.diagnostics_for(&rules_uri), Vec::<Value>::new());

    // Hover: a built-in field and an `extend` field.
    let position = |text: &str, needle: &str| {
        let line = text.lines().position(|l| l.contains(needle)).unwrap();
        let l = text.lines().nth(line).unwrap();
        let col: usize = l[..l.find(needle).unwrap()]
            .chars()
            .map(char::len_utf16)
            .sum();
        // Inside the needle's last word.
        let last = needle.rfind(' ').map_or(0, |i| i + 1);
        json!({"line": line, "character": col + last + 1})
    };
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules_uri}, "position": position(&fixed, ".size")}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("change.size: int"),
        "{hover}"
    );
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": rules_uri}, "position": position(&fixed, ".ticket")}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("change.ticket: string (extend change)"),
        "{hover}"
    );

    // Definition: the rule named by `exempt rule`, in the other file of the folder.
    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": rules_uri}, "position": position(&fixed, "cab_review")}),
    );
    assert_eq!(def["uri"], settings_uri, "{def}");
    assert_eq!(
        def["range"],
        json!({"start": {"line": 4, "character": 5}, "end": {"line": 4, "character": 15}}),
        "{def}"
    );
    // And a calendar from the region that uses it, and a group from its requirement.
    let settings_text = std::fs::read_to_string(&settings).unwrap();
    let def = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": settings_uri}, "position": position(&settings_text, "uses ops")}),
    );
    assert_eq!(
        def["range"]["start"],
        json!({"line": 2, "character": 9}),
        "{def}"
    );

    let shutdown = server.request("shutdown", Value::Null);
    assert_eq!(shutdown, Value::Null);
    server.notify("exit", Value::Null);
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
