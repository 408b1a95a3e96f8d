//! The player: `GET /play/{token}` (the page that sets up scorm-again's SCORM API and frames the
//! content), its commits, and its static assets (see docs/PLAYER.md).

pub mod assets;
