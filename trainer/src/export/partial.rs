//! Files written under `<name>.partial` and renamed to their names only
//! when the whole export has succeeded; on failure or cancel the partial
//! files are removed, so no half-written file ever carries a final name.

use crate::error::{Result, TrainerError};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// The files of one export, in the order they are renamed.
pub struct Outputs {
    dir: PathBuf,
    names: Vec<String>,
    committed: bool,
}

impl Outputs {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            names: Vec::new(),
            committed: false,
        }
    }

    /// Creates `name`'s partial file (buffered).
    pub fn create(&mut self, name: &str) -> Result<BufWriter<File>> {
        let path = self.partial(name);
        let file = File::create(&path).map_err(|e| TrainerError::io(path.display(), e))?;
        self.names.push(name.to_string());
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Copies a finished file in as `name`.
    pub fn copy(&mut self, from: &Path, name: &str) -> Result<()> {
        let to = self.partial(name);
        std::fs::copy(from, &to).map_err(|e| TrainerError::io(from.display(), e))?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Renames every file to its name, in the order they were made (write
    /// the file that marks a complete export last); returns the names.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        for name in &self.names {
            let to = self.dir.join(name);
            std::fs::rename(self.partial(name), &to)
                .map_err(|e| TrainerError::io(to.display(), e))?;
        }
        self.committed = true;
        Ok(self.names.iter().map(PathBuf::from).collect())
    }

    fn partial(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.partial"))
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if !self.committed {
            for name in &self.names {
                let _ = std::fs::remove_file(self.partial(name));
            }
        }
    }
}

/// Flushes a writer and syncs its file to disk.
pub fn finish(w: BufWriter<File>, what: &str) -> Result<()> {
    let file = w
        .into_inner()
        .map_err(|e| TrainerError::io(what, e.error()))?;
    file.sync_all().map_err(|e| TrainerError::io(what, e))
}
