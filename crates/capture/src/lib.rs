//! Capture sources for ghostguard: pcap and pcapng files, plain or
//! gzip-compressed, from a path, a pipe or standard input.
//!
//! What it is: a reader that turns a capture into [`Frame`]s (time, link
//! type, bytes, interface) in file order, with errors that name the byte
//! offset where reading stopped. Plain files are memory-mapped; pipes and
//! gzip go through a bounded buffer (it grows only to hold one record, and
//! records above [`MAX_RECORD`] are refused). pcap (µs and ns, both byte
//! orders) and pcapng (several sections and interfaces, each with its link
//! type and `if_tsresol`/`if_tsoffset`; Enhanced, Simple and obsolete Packet
//! blocks; other blocks skipped) are read by this crate's own parsers.
//!
//! What it is not: it does not decode packets (`ghostguard-packet` does), it
//! does not capture live traffic or listen for HEP (yet), and it does not
//! read pcapng's name-resolution, statistics or decryption-secret blocks.
//!
//! [`write`] holds small pcap/pcapng writers for tests and synthetic captures.

mod error;
mod input;
mod pcap;
mod pcapng;
#[doc(hidden)]
pub mod write;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use error::CaptureError;
pub use ghostguard_packet::{Frame, LinkType, Timestamp};

use input::{Counting, Input, SliceInput, StreamInput};
use pcap::PcapInfo;
use pcapng::NgState;

/// DoS: the largest record (captured length) accepted, 256 KiB — the
/// largest default snap length of tcpdump and Wireshark. Larger records are
/// reported as [`CaptureError::TooLarge`] instead of growing the buffer.
pub const MAX_RECORD: usize = 256 << 10;

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap: nanosecond or microsecond time, byte order.
    Pcap {
        nanos: bool,
        big_endian: bool,
    },
    PcapNg,
}

/// What a successful read delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadSummary {
    pub frames: u64,
    /// Captured bytes of all frames.
    pub bytes: u64,
}

/// A read position that can be watched from elsewhere (another thread, or
/// the frame callback) while [`CaptureReader::for_each_frame`] runs.
#[derive(Debug, Clone)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Bytes of the file read so far (compressed bytes for gzip).
    #[must_use]
    pub fn position(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

enum Source {
    Mapped { map: memmap2::Mmap, pos: usize },
    Stream(StreamInput),
}

#[derive(Debug)]
enum Parser {
    Pcap(PcapInfo),
    PcapNg(NgState),
}

/// Reads one capture file or stream.
pub struct CaptureReader {
    source: Source,
    parser: Parser,
    format: Format,
    gzip: bool,
    total_len: Option<u64>,
    progress: Arc<AtomicU64>,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("format", &self.format)
            .field("gzip", &self.gzip)
            .field("position", &self.position())
            .field("total_len", &self.total_len)
            .finish()
    }
}

impl CaptureReader {
    /// Opens a capture file; `-` is standard input. Regular files are
    /// memory-mapped unless gzip-compressed; anything else is streamed.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        if path == Path::new("-") {
            return Self::stream(Box::new(std::io::stdin()), None, PathBuf::from("-"));
        }
        let io = |source| CaptureError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Self::stream(Box::new(file), None, path.to_path_buf());
        }
        let mut magic = [0u8; 2];
        let n = (&file).read(&mut magic).map_err(io)?;
        if n == 2 && magic == [0x1f, 0x8b] || meta.len() == 0 {
            let file = File::open(path).map_err(io)?;
            return Self::stream(Box::new(file), Some(meta.len()), path.to_path_buf());
        }
        let map = map_file(&file).map_err(io)?;
        let mut input = SliceInput {
            data: &map,
            pos: 0,
            map: None,
            released: 0,
        };
        let (format, parser) = detect(&mut input)?;
        let pos = input.pos;
        let progress = Arc::new(AtomicU64::new(pos as u64));
        Ok(CaptureReader {
            source: Source::Mapped { map, pos },
            parser,
            format,
            gzip: false,
            total_len: Some(meta.len()),
            progress,
        })
    }

    /// Reads a capture from any byte stream (gzip is detected).
    pub fn from_reader(r: Box<dyn Read + Send>) -> Result<CaptureReader, CaptureError> {
        Self::stream(r, None, PathBuf::from("<stream>"))
    }

    fn stream(
        r: Box<dyn Read + Send>,
        total_len: Option<u64>,
        path: PathBuf,
    ) -> Result<Self, CaptureError> {
        let progress = Arc::new(AtomicU64::new(0));
        let counting = Box::new(Counting {
            inner: r,
            count: Arc::clone(&progress),
        });
        let mut input = StreamInput::new(counting, Arc::clone(&progress), path);
        let gzip = input.fill(2)? == [0x1f, 0x8b];
        if gzip {
            input = input.into_gzip();
        }
        let (format, parser) = detect(&mut input)?;
        Ok(CaptureReader {
            source: Source::Stream(input),
            parser,
            format,
            gzip,
            total_len,
            progress,
        })
    }

    #[must_use]
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the capture is gzip-compressed.
    #[must_use]
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// Calls `f` for every frame in file order, from where the last call
    /// stopped. Stops at the first error and returns it; frames delivered
    /// before it stay delivered.
    pub fn for_each_frame(
        &mut self,
        f: &mut dyn FnMut(&Frame<'_>),
    ) -> Result<ReadSummary, CaptureError> {
        let mut sum = ReadSummary::default();
        let r = match &mut self.source {
            Source::Mapped { map, pos } => {
                let mut input = SliceInput {
                    data: map,
                    pos: *pos,
                    map: Some(map),
                    released: 0,
                };
                let r = run(
                    &mut self.parser,
                    &mut input,
                    f,
                    &mut sum,
                    Some(&self.progress),
                );
                *pos = input.pos;
                r
            }
            Source::Stream(input) => run(&mut self.parser, input, f, &mut sum, None),
        };
        r.map(|()| sum)
    }

    /// Bytes of the file read so far (compressed bytes for gzip).
    #[must_use]
    pub fn position(&self) -> u64 {
        self.progress.load(Ordering::Relaxed)
    }

    /// A handle on [`Self::position`] usable while frames are being read.
    #[must_use]
    pub fn progress(&self) -> Progress {
        Progress(Arc::clone(&self.progress))
    }

    /// Size of the file, when known (not for pipes).
    #[must_use]
    pub fn total_len(&self) -> Option<u64> {
        self.total_len
    }
}

fn run<I: Input>(
    parser: &mut Parser,
    input: &mut I,
    f: &mut dyn FnMut(&Frame<'_>),
    sum: &mut ReadSummary,
    progress: Option<&AtomicU64>,
) -> Result<(), CaptureError> {
    match parser {
        Parser::Pcap(info) => pcap::read_records(info, input, f, sum, progress),
        Parser::PcapNg(st) => pcapng::read_blocks(st, input, f, sum, progress),
    }
}

/// Reads the magic (and the pcap file header) at the start of `input`.
fn detect<I: Input>(input: &mut I) -> Result<(Format, Parser), CaptureError> {
    let head = input.fill(pcap::HEADER_LEN)?;
    let Some(magic) = head.get(..4).and_then(|m| <[u8; 4]>::try_from(m).ok()) else {
        return Err(CaptureError::Truncated {
            offset: 0,
            what: "file magic",
            need: 4,
            have: head.len(),
        });
    };
    if magic == pcapng::SHB_MAGIC {
        return Ok((Format::PcapNg, Parser::PcapNg(NgState::default())));
    }
    let info = pcap::parse_header(head)?;
    input.consume(pcap::HEADER_LEN);
    Ok((
        Format::Pcap {
            nanos: info.nanos,
            big_endian: info.big_endian,
        },
        Parser::Pcap(info),
    ))
}

/// Maps a regular file read-only.
#[allow(unsafe_code)]
fn map_file(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and lives as long as the reader. The
    // one hazard of mapping a file is another process truncating it while it
    // is mapped (the next access would fault): capture files are not
    // truncated while ghostguard analyses them, and a file still being
    // appended to is safe (the mapping keeps the length it had at open).
    let map = unsafe { memmap2::Mmap::map(file)? };
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// Fuzzing entry: `data` as a capture file (any format, gzip included),
/// every frame decoded and every payload parsed as SIP. Must never panic
/// and never allocate beyond the documented bounds.
#[doc(hidden)]
pub fn fuzz_read(data: &[u8]) {
    let Ok(mut reader) = CaptureReader::from_reader(Box::new(std::io::Cursor::new(data.to_vec())))
    else {
        return;
    };
    let mut decoder = ghostguard_packet::Decoder::new(ghostguard_packet::Limits::default());
    let _ = reader.for_each_frame(&mut |frame| {
        let _ = decoder.decode(frame, &mut |d| {
            let _ = ghostguard_sip::parse(d.payload);
        });
    });
}
