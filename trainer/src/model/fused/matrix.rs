//! Strided matrix views over raw f32 buffers and gemm on them, so that a
//! head's slice of [tokens, heads × head_dim] is used in place instead of
//! being transposed into its own buffer first.

use gemm::Parallelism;

/// A rows × cols matrix at `ptr`, element (i, j) at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub struct Mat {
    pub ptr: *mut f32,
    pub rows: usize,
    pub cols: usize,
    pub rs: isize,
    pub cs: isize,
}

// SAFETY: a Mat is an address plus strides; the kernels that share one
// across rayon tasks write disjoint parts of it.
unsafe impl Send for Mat {}
unsafe impl Sync for Mat {}

impl Mat {
    /// Row-major `rows × cols` block of a buffer whose rows are `stride`
    /// apart, starting at element `offset`.
    pub fn of(buf: &[f32], offset: usize, rows: usize, cols: usize, stride: usize) -> Self {
        debug_assert!(rows == 0 || offset + (rows - 1) * stride + cols <= buf.len());
        Self {
            ptr: buf[offset..].as_ptr() as *mut f32,
            rows,
            cols,
            rs: stride as isize,
            cs: 1,
        }
    }

    /// The same for a block that will be written.
    pub fn of_mut(buf: &mut [f32], offset: usize, rows: usize, cols: usize, stride: usize) -> Self {
        Self::of(buf, offset, rows, cols, stride)
    }

    /// The rows × cols block whose first element is (row, col).
    pub fn block(self, row: usize, col: usize, rows: usize, cols: usize) -> Self {
        debug_assert!(row + rows <= self.rows && col + cols <= self.cols);
        Self {
            ptr: self
                .ptr
                .wrapping_offset(row as isize * self.rs + col as isize * self.cs),
            rows,
            cols,
            ..self
        }
    }

    /// Rows `start..start + rows` of this matrix.
    pub fn rows(self, start: usize, rows: usize) -> Self {
        debug_assert!(start + rows <= self.rows);
        Self {
            ptr: self.ptr.wrapping_offset(start as isize * self.rs),
            rows,
            ..self
        }
    }

    /// The address `offset` elements past the start (a method, so that a
    /// closure captures the whole Send view, not its raw pointer field).
    pub fn at(self, offset: usize) -> *mut f32 {
        self.ptr.wrapping_add(offset)
    }

    pub fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }
}

/// dst = scale · a · b, or dst += scale · a · b with `accumulate`.
///
/// # Safety
/// The three views must lie inside live buffers, `dst` must not overlap
/// `a` or `b`, and nothing else may touch `dst` during the call.
pub unsafe fn matmul(dst: Mat, a: Mat, b: Mat, accumulate: bool, scale: f32, threads: usize) {
    assert!(a.rows == dst.rows && b.cols == dst.cols && a.cols == b.rows);
    let par = if threads > 1 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    };
    // SAFETY: the caller's guarantees; gemm reads a and b and writes dst.
    unsafe {
        gemm::gemm(
            dst.rows, dst.cols, a.cols, dst.ptr, dst.cs, dst.rs, accumulate, a.ptr, a.cs, a.rs,
            b.ptr, b.cs, b.rs, 1.0, scale, false, false, false, par,
        )
    }
}

/// Threads for one large gemm (rayon's pool).
pub fn threads() -> usize {
    rayon::current_num_threads()
}
