//! Where capture bytes come from: a mapped file (a slice) or a stream (a
//! pipe, stdin, a gzip decoder) read through a bounded buffer. The parsers
//! see both through [`Input`].

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::CaptureError;

/// Bytes in order, looked at before they are used up.
pub(crate) trait Input {
    /// At least `n` bytes from the current position, or everything left
    /// when the input ends sooner.
    fn fill(&mut self, n: usize) -> Result<&[u8], CaptureError>;
    /// Marks `n` bytes (no more than the last `fill` returned) as used.
    fn consume(&mut self, n: usize);
    /// Bytes used so far: the offset of the current position.
    fn offset(&self) -> u64;
}

/// A whole capture in memory (a mapped file).
#[derive(Debug)]
pub(crate) struct SliceInput<'a> {
    pub data: &'a [u8],
    pub pos: usize,
    /// The mapping behind `data`, when there is one: pages already read are
    /// handed back to the kernel so resident memory stays flat.
    pub map: Option<&'a memmap2::Mmap>,
    /// Bytes before this offset were handed back.
    pub released: usize,
}

/// Hand mapped pages back every this many bytes.
const RELEASE_EVERY: usize = 32 << 20;

impl SliceInput<'_> {
    /// Drops the pages of what was consumed from this process's resident
    /// set (they stay in the page cache). Frames are only lent to the
    /// callback during `run`, so nothing still borrows released bytes.
    #[allow(unsafe_code)]
    fn release(&mut self) {
        let Some(map) = self.map else { return };
        let end = self.pos & !(4096 - 1);
        if end < self.released + RELEASE_EVERY {
            return;
        }
        // SAFETY: the range lies inside the read-only private mapping and
        // before the current position; no frame borrowed from it is alive
        // (callbacks have returned). After DONTNEED a read would fault the
        // page back in from the file, so even a stray access stays defined.
        let _ = unsafe {
            map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                self.released,
                end - self.released,
            )
        };
        self.released = end;
    }
}

impl Input for SliceInput<'_> {
    #[inline]
    fn fill(&mut self, n: usize) -> Result<&[u8], CaptureError> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        Ok(&rest[..rest.len().min(n)])
    }

    #[inline]
    fn consume(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.data.len());
        self.release();
    }

    #[inline]
    fn offset(&self) -> u64 {
        self.pos as u64
    }
}

/// Read size for streams.
const CHUNK: usize = 256 << 10;

/// A stream read through a buffer that grows only to hold the largest
/// request.
///
/// DoS: requests are one record or block, which the parsers bound
/// (`MAX_RECORD`, `MAX_BLOCK`), so the buffer stays below that plus one
/// 256 KiB read; blocks that are skipped are never held whole.
pub(crate) struct StreamInput {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    offset: u64,
    eof: bool,
    /// Set when the reader is a gzip decoder: read errors are gzip errors.
    gzip: bool,
    /// Raw (compressed) bytes read, shared with the progress handle.
    raw: Arc<AtomicU64>,
    path: PathBuf,
}

impl std::fmt::Debug for StreamInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamInput")
            .field("offset", &self.offset)
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl StreamInput {
    pub(crate) fn new(reader: Box<dyn Read + Send>, raw: Arc<AtomicU64>, path: PathBuf) -> Self {
        StreamInput {
            reader,
            buf: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            gzip: false,
            raw,
            path,
        }
    }

    /// Puts a gzip decoder in front of this stream, starting from the
    /// current position (bytes already buffered are fed to it first).
    pub(crate) fn into_gzip(self) -> Self {
        let buffered = self.buf[self.start..self.end].to_vec();
        let inner = io::Cursor::new(buffered).chain(self.reader);
        let reader = Box::new(flate2::read::MultiGzDecoder::new(inner));
        StreamInput {
            gzip: true,
            ..StreamInput::new(reader, self.raw, self.path)
        }
    }
}

impl Input for StreamInput {
    fn fill(&mut self, n: usize) -> Result<&[u8], CaptureError> {
        while self.end - self.start < n && !self.eof {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let want = (self.end + CHUNK).max(n);
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) if self.gzip => {
                    let offset = self.raw.load(Ordering::Relaxed);
                    return Err(CaptureError::Gzip { offset, source });
                }
                Err(source) => {
                    return Err(CaptureError::Io {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
        let have = (self.end - self.start).min(n);
        Ok(&self.buf[self.start..self.start + have])
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    fn offset(&self) -> u64 {
        self.offset
    }
}

/// Counts bytes read from the underlying file or pipe (for progress).
pub(crate) struct Counting<R> {
    pub inner: R,
    pub count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Skips `n` bytes without holding them all at once.
pub(crate) fn skip<I: Input>(input: &mut I, mut n: u64) -> Result<u64, CaptureError> {
    let mut skipped = 0;
    while n > 0 {
        let want = usize::try_from(n).unwrap_or(usize::MAX).min(CHUNK);
        let got = input.fill(want)?.len();
        if got == 0 {
            break;
        }
        input.consume(got);
        n -= got as u64;
        skipped += got as u64;
    }
    Ok(skipped)
}
