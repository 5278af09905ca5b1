//! `npx eqlite`: the library's command line ([`crate::cli`]) for Node. pkg/bin/eqlite.js only
//! lists files and moves bytes; parsing, the run and every byte printed come from here, so the
//! native binary and `npx eqlite` print the same output for the same inputs and flags.

use super::convert::{set, to_js};
use crate::cli::{self, Output, Parsed, Run};
use js_sys::{Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;

fn output(out: &Output) -> JsValue {
    let js = Object::new();
    set(&js, "stdout", &JsValue::from_str(&out.stdout));
    set(&js, "stderr", &JsValue::from_str(&out.stderr));
    set(&js, "code", &JsValue::from(out.code));
    js.into()
}

/// Parses `argv` (without the program name) and starts the command. Returns
/// `{ exit: {stdout, stderr, code} }` for help, usage errors, `check` and `formats`, or
/// `{ run: CliRun }`. `readFile(path)` reads a rule or exceptions file as text (it throws on
/// failure); `nowMs` is the execution time alert documents carry.
#[wasm_bindgen(js_name = cliStart)]
pub fn cli_start(argv: Vec<String>, read_file: Function, now_ms: f64) -> Result<JsValue, JsValue> {
    let mut read = |path: &str| -> Result<String, String> {
        match read_file.call1(&JsValue::NULL, &JsValue::from_str(path)) {
            Ok(text) => text
                .as_string()
                .ok_or_else(|| "readFile did not return a string".to_string()),
            Err(e) => Err(js_sys::Error::from(e)
                .message()
                .as_string()
                .unwrap_or_else(|| "unreadable".to_string())),
        }
    };
    let args = std::iter::once("eqlite".to_string()).chain(argv);
    let result = Object::new();
    let exit = |out: Output| {
        set(&result, "exit", &output(&out));
    };
    match cli::parse(args) {
        Parsed::Exit {
            code,
            text,
            to_stdout,
        } => exit(if to_stdout {
            Output {
                stdout: text,
                code,
                ..Output::default()
            }
        } else {
            Output {
                stderr: text,
                code,
                ..Output::default()
            }
        }),
        Parsed::Command(command) => {
            match cli::start(*command, &mut read, crate::num::saturating_i64(now_ms)) {
                cli::Started::Run(run) => set(&result, "run", &CliRun { run: Some(*run) }.into()),
                cli::Started::Exit(out) => exit(out),
            }
        }
    }
    Ok(result.into())
}

/// One `eqlite run` driven from Node: each method returns `{stdout, stderr, code}` to print.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CliRun {
    run: Option<Run>,
}

#[wasm_bindgen]
impl CliRun {
    /// The paths given (`-` is stdin); the shell expands directories recursively, sorted.
    pub fn inputs(&self) -> Result<JsValue, JsValue> {
        to_js(self.run.as_ref().map(Run::inputs).unwrap_or_default())
    }

    /// Whether a budget error stopped the run (read no more input).
    #[wasm_bindgen(js_name = isStopped)]
    pub fn is_stopped(&self) -> bool {
        self.run.as_ref().map_or(true, Run::is_stopped)
    }

    /// Starts the input labelled `label`.
    #[wasm_bindgen(js_name = startFile)]
    pub fn start_file(&mut self, label: &str) -> JsValue {
        self.step(|run| run.start_file(label))
    }

    /// The next bytes of the current input.
    pub fn push(&mut self, chunk: Uint8Array) -> JsValue {
        let mut bytes = chunk.to_vec();
        self.step(|run| run.push_buf(&mut bytes))
    }

    /// Ends the current input.
    #[wasm_bindgen(js_name = endFile)]
    pub fn end_file(&mut self) -> JsValue {
        self.step(Run::end_file)
    }

    /// An input that could not be opened or read.
    #[wasm_bindgen(js_name = inputFailed)]
    pub fn input_failed(&mut self, label: &str, reason: &str) -> JsValue {
        self.step(|run| run.input_failed(label, reason))
    }

    /// Ends the run: the rest of the output and the exit code.
    pub fn finish(&mut self) -> JsValue {
        match self.run.take() {
            Some(run) => output(&run.finish()),
            None => output(&Output::default()),
        }
    }
}

impl CliRun {
    fn step(&mut self, f: impl FnOnce(&mut Run) -> Output) -> JsValue {
        match &mut self.run {
            Some(run) => output(&f(run)),
            None => output(&Output::default()),
        }
    }
}
