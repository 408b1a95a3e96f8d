//! Obtains the player's SCORM runtime library, scorm-again, at the exact version (and
//! integrity hash) that `player/package-lock.json` pins, and tells the crate where it is
//! (`CURRICULA_SCORM_AGAIN_DIR_RESOLVED`, `CURRICULA_SCORM_AGAIN_VERSION`) so that
//! `src/api/player/assets.rs` embeds its files. Nothing of it is written into the source tree.
//!
//! - `CURRICULA_SCORM_AGAIN_DIR` set: that directory is an unpacked copy of the npm package
//!   (the `package/` folder of `npm pack scorm-again@VERSION`, or the folder holding it); its
//!   `package.json` must carry the locked version.
//! - otherwise: `npm ci` in `$OUT_DIR/npm` (a copy of `player/package.json` and the lockfile),
//!   once; later builds reuse that install while the lockfile is unchanged.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// The package's files the crate embeds.
const FILES: [&str; 3] = ["dist/scorm12.min.js", "dist/scorm2004.min.js", "LICENSE"];
/// Written into `$OUT_DIR/npm` after a successful `npm ci`: the lockfile it installed.
const MARKER: &str = ".curricula-installed-lock";

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let player = manifest.join("player");
    let package_json = player.join("package.json");
    let lock_path = player.join("package-lock.json");
    println!("cargo:rerun-if-changed={}", package_json.display());
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-env-changed=CURRICULA_SCORM_AGAIN_DIR");
    println!("cargo:rerun-if-env-changed=NPM");

    let lock = read(&lock_path)?;
    let version = locked_version(&lock, &lock_path)?;

    let dir = match env::var_os("CURRICULA_SCORM_AGAIN_DIR").filter(|v| !v.is_empty()) {
        Some(local) => local_copy(Path::new(&local), &version)?,
        None => npm_install(&package_json, &lock_path, &lock, &version)?,
    };
    for file in FILES {
        let path = dir.join(file);
        if !path.is_file() {
            return Err(format!(
                "scorm-again {version} at {} has no {file}; is it the npm package?",
                dir.display()
            ));
        }
    }
    println!("cargo:rustc-env=CURRICULA_SCORM_AGAIN_DIR_RESOLVED={}", dir.display());
    println!("cargo:rustc-env=CURRICULA_SCORM_AGAIN_VERSION={version}");
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The version of `node_modules/scorm-again` in the lockfile.
fn locked_version(lock: &str, path: &Path) -> Result<String, String> {
    let lock: serde_json::Value =
        serde_json::from_str(lock).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let entry = &lock["packages"]["node_modules/scorm-again"];
    if entry["integrity"].as_str().is_none_or(|i| !i.starts_with("sha512-")) {
        return Err(format!("{} does not pin scorm-again's integrity hash", path.display()));
    }
    entry["version"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{} has no version of node_modules/scorm-again", path.display()))
}

/// The version in a package folder's `package.json`, if it is scorm-again's.
fn package_version(dir: &Path) -> Option<String> {
    let text = fs::read_to_string(dir.join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    (json["name"] == "scorm-again").then(|| json["version"].as_str().map(str::to_owned))?
}

/// The folder `CURRICULA_SCORM_AGAIN_DIR` names (or its `package/`), checked against the lock.
fn local_copy(local: &Path, version: &str) -> Result<PathBuf, String> {
    let dir = if local.join("package.json").is_file() {
        local.to_path_buf()
    } else {
        local.join("package")
    };
    match package_version(&dir) {
        Some(found) if found == version => Ok(dir),
        Some(found) => Err(format!(
            "CURRICULA_SCORM_AGAIN_DIR={} holds scorm-again {found}, but crates/server/player/package-lock.json pins {version}; unpack `npm pack scorm-again@{version}` there",
            local.display()
        )),
        None => Err(format!(
            "CURRICULA_SCORM_AGAIN_DIR={} is not an unpacked scorm-again package (no package.json of scorm-again in it or in its package/ folder); unpack `npm pack scorm-again@{version}` there",
            local.display()
        )),
    }
}

/// `npm ci` of the locked package into `$OUT_DIR/npm`, unless it is installed there already.
fn npm_install(package_json: &Path, lock_path: &Path, lock: &str, version: &str) -> Result<PathBuf, String> {
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?).join("npm");
    let installed = out.join("node_modules").join("scorm-again");
    let marker = out.join(MARKER);
    let fresh = fs::read_to_string(&marker).is_ok_and(|m| m == lock)
        && package_version(&installed).as_deref() == Some(version)
        && FILES.iter().all(|f| installed.join(f).is_file());
    if fresh {
        return Ok(installed);
    }
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let _ = fs::remove_file(&marker);
    for (from, name) in [(package_json, "package.json"), (lock_path, "package-lock.json")] {
        fs::copy(from, out.join(name))
            .map_err(|e| format!("cannot copy {} into {}: {e}", from.display(), out.display()))?;
    }
    let help = format!(
        "install Node.js 20.19 or newer with npm (Debian: apt-get install nodejs npm), or set CURRICULA_SCORM_AGAIN_DIR to an unpacked copy of the npm package scorm-again {version} (`npm pack scorm-again@{version}` and untar it)"
    );
    let npm = env::var_os("NPM").unwrap_or_else(|| "npm".into());
    let output = Command::new(&npm)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&out)
        .output()
        .map_err(|e| format!("cannot run npm ({e}) to obtain scorm-again {version}: {help}"))?;
    if !output.status.success() {
        return Err(format!(
            "`npm ci` in {} failed ({}) to obtain scorm-again {version}:\n{}{}\n{help}",
            out.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    match package_version(&installed) {
        Some(found) if found == version => {}
        other => {
            return Err(format!(
                "`npm ci` in {} installed scorm-again {other:?}, not the locked {version}",
                out.display()
            ));
        }
    }
    fs::write(&marker, lock).map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(installed)
}
