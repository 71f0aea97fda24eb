// Dmitry Osipenko's series "makes dma-buf exporters responsible for taking care of the reservation lock" (dri-devel,
// 2 Apr 2023): "dma-buf: Change locking policy for mmap()", with 21aa27ddc582 ("drm/shmem-helper: Switch to
// reservation lock").
//
// The story. The dma-buf locking convention of 2022 had the dma-buf core take the buffer's reservation lock around
// the exporter's mmap() callback. Then drm-shmem switched its own locking to the reservation lock, and Intel's CI
// found a deadlock: "The problem happens when userpace mmaps a self-imported dma-buf ... DRM core treats
// self-imported dma-bufs as own GEMs ... which resulted in a deadlock problem for drm-shmem mmap() code path once it's
// switched to use reservation lock". The core held the lock the exporter was about to take.
//
// The fix. The policy changed: the core no longer takes the lock around mmap(), exporters take it themselves. The
// sample driver's DmaBufOps.Mmap states the new policy as a contract: [Excludes("dmabuf.Resv")].
//
// Rule: DRV1006 at the core's call of the exporter's mmap() with the reservation held.
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.BugGallery.DmaBufMmapSelfImport;

internal static class Buggy
{
    /// <summary>dma_buf_mmap_internal under the 2022 policy: the core locks around the exporter's callback.</summary>
    [Requires("vma.Mm.MmapLock")]
    internal static int DmaBufMmapInternal(DmaBuf.DmaBuf dmabuf, Vma vma)
    {
        var ret = dmabuf.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = dmabuf.Ops.Mmap(dmabuf, vma); // DRV1006
        dmabuf.Resv.Unlock();
        return ret;
    }
}

internal static class Fixed
{
    /// <summary>The 2023 policy: the exporter's mmap() takes the reservation itself.</summary>
    [Requires("vma.Mm.MmapLock")]
    internal static int DmaBufMmapInternal(DmaBuf.DmaBuf dmabuf, Vma vma)
    {
        return dmabuf.Ops.Mmap(dmabuf, vma);
    }
}
