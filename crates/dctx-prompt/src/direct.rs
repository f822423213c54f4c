//! The answer without the daemon: resolve and render in this process.
//! What every path falls back to, so a prompt is never blank.

use std::path::Path;

use dctx_core::segment::{render as render_segment, RenderOptions};
use dctx_core::settings::Settings;
use dctx_core::{resolve, Env, RealFs, Shell};

/// Resolves and renders in this process, without the daemon.
pub fn render(
    env: &Env,
    shell: Shell,
    format: Option<&str>,
    settings_path: Option<&Path>,
    show_default: bool,
) -> String {
    let resolution = resolve(env, &RealFs);
    let dctx_core::settings::Loaded {
        settings,
        problem: settings_problem,
    } = Settings::load_optional(&RealFs, settings_path);
    let request = RenderOptions {
        // Only the daemon's probes know the engine.
        engine: None,
        shell,
        format,
        extra_problem: settings_problem.is_some(),
        show_default,
    };
    render_segment(&resolution, &settings, &request)
}
