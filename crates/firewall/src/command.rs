//! Running `nft` and `iptables-restore`: arguments and stdin in, stdout
//! out, every failure mapped to a [`FirewallError`] naming the step.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{FirewallError, Step};

/// A program the adapter drives, and the Debian package that ships it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tool<'a> {
    pub path: &'a Path,
    pub package: &'static str,
}

/// Runs `tool args...`, feeding `stdin`, and returns its stdout.
pub(crate) fn run(
    step: Step,
    tool: &Tool<'_>,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, FirewallError> {
    let command = describe(tool.path.as_os_str(), args);
    let mut child = match Command::new(tool.path)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FirewallError::NotFound {
                step,
                program: tool.path.display().to_string(),
                package: tool.package,
            });
        }
        Err(source) => {
            return Err(FirewallError::Spawn {
                step,
                command,
                source,
            });
        }
    };
    // Feed stdin from another thread so a chatty child cannot block us.
    let output = std::thread::scope(|scope| {
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            scope.spawn(move || {
                // A child that exits early closes the pipe; its status says why.
                let _ = pipe.write_all(text.as_bytes());
            });
        }
        child.wait_with_output()
    });
    let output = output.map_err(|source| FirewallError::Spawn {
        step,
        command: command.clone(),
        source,
    })?;
    let stderr = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_owned();
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    if is_permission_error(&stderr) {
        return Err(FirewallError::PermissionDenied {
            step,
            command,
            stderr,
        });
    }
    Err(FirewallError::Failed {
        step,
        command,
        status: output.status.to_string(),
        stderr,
    })
}

/// Runs a check command (`iptables -C ...`): `true` on exit 0, `false` on
/// any other exit that is not a permission problem.
pub(crate) fn check(step: Step, tool: &Tool<'_>, args: &[&str]) -> Result<bool, FirewallError> {
    match run(step, tool, args, None) {
        Ok(_) => Ok(true),
        Err(FirewallError::Failed { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

fn is_permission_error(stderr: &str) -> bool {
    stderr.contains("Operation not permitted") || stderr.contains("Permission denied")
}

fn describe(program: &OsStr, args: &[&str]) -> String {
    let mut parts = vec![program.to_string_lossy().into_owned()];
    parts.extend(args.iter().map(|a| (*a).to_owned()));
    parts.join(" ")
}
