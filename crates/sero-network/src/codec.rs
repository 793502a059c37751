//! Length-prefixed opaque-bytes codec for the sync request-response protocol.
//!
//! Every request and response is one frame: a 4-byte big-endian length
//! followed by that many bytes. The length is checked against the configured
//! limit *before* anything is allocated, so a peer cannot make us buffer more
//! than the limit.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::request_response;
use libp2p::StreamProtocol;

/// A frame over the configured limit (carried inside an [`io::Error`] so the
/// swarm task can tell it apart from other stream failures).
#[derive(Debug, thiserror::Error)]
#[error("frame of {size} bytes exceeds the limit of {max} bytes")]
pub(crate) struct FrameTooLarge {
    pub size: usize,
    pub max: usize,
}

/// See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct BytesCodec {
    pub max_request: usize,
    pub max_response: usize,
}

async fn read_frame<T>(io: &mut T, max: usize) -> io::Result<Vec<u8>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let size = u32::from_be_bytes(len) as usize;
    if size > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            FrameTooLarge { size, max },
        ));
    }
    let mut buf = vec![0u8; size];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_frame<T>(io: &mut T, data: &[u8], max: usize) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
{
    let size = data.len();
    let len = match u32::try_from(size) {
        Ok(len) if size <= max => len,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                FrameTooLarge { size, max },
            ))
        }
    };
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(data).await?;
    io.flush().await
}

impl request_response::Codec for BytesCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_request).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req, self.max_request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res, self.max_response).await
    }
}

/// The [`FrameTooLarge`] inside `err`, if that is what it is.
pub(crate) fn frame_too_large(err: &io::Error) -> Option<&FrameTooLarge> {
    err.get_ref()
        .and_then(|inner| inner.downcast_ref::<FrameTooLarge>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;

    #[test]
    fn frame_roundtrip_and_limits() {
        futures::executor::block_on(async {
            let mut buf = Cursor::new(Vec::new());
            write_frame(&mut buf, b"hello", 16).await.unwrap();
            assert_eq!(buf.get_ref().len(), 4 + 5);
            buf.set_position(0);
            assert_eq!(read_frame(&mut buf, 16).await.unwrap(), b"hello");

            // Over the reader's limit: rejected from the prefix alone.
            buf.set_position(0);
            let err = read_frame(&mut buf, 4).await.unwrap_err();
            let too_large = frame_too_large(&err).unwrap();
            assert_eq!((too_large.size, too_large.max), (5, 4));

            // Over the writer's limit: nothing written.
            let mut out = Cursor::new(Vec::new());
            let err = write_frame(&mut out, &[0u8; 17], 16).await.unwrap_err();
            assert!(frame_too_large(&err).is_some());
            assert!(out.get_ref().is_empty());

            // Truncated frame: an IO error, not a panic.
            let mut short = Cursor::new(vec![0, 0, 0, 9, 1, 2]);
            assert!(read_frame(&mut short, 16).await.is_err());
        });
    }
}
