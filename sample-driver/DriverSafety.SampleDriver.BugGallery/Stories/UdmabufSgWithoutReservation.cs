// A udmabuf patch by Bryam Vargas (linux-media, Cc stable) that serialises the CPU-access hooks under the buffer's
// reservation lock; it fixes 284562e1f348 ("udmabuf: implement begin_cpu_access/end_cpu_access hooks").
//
// The story. udmabuf's begin_cpu_access hook built the buffer's sg table on first use and cached it in ubuf->sg
// with an unserialised check-then-set, and the end_cpu_access hook read the same field unlocked. The dma-buf core
// calls both hooks without the reservation lock and DMA_BUF_IOCTL_SYNC takes no lock either, so two SYNC ioctls
// race: "two begins can both observe NULL and both call get_sg_table(), and the later store orphans the earlier
// table and its DMA mapping".
//
// The fix. "Serialize both hooks under the buffer's reservation lock, as panfrost and panthor do": ubuf->sg is
// protected by the dma-buf's reservation, and the field says so ([GuardedBy("Buf.Resv")]).
//
// Rule: DRV1001 at each access of the guarded field made without the lock (the read and the store in begin, the
// read in end).
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.UdmabufSgWithoutReservation;

internal static class Buggy
{
    internal sealed class Udmabuf
    {
        internal Udmabuf(DmaBuf.DmaBuf buf, int pageCount)
        {
            Buf = buf;
            PageCount = pageCount;
        }

        internal DmaBuf.DmaBuf Buf { get; }

        internal int PageCount { get; }

        [GuardedBy("Buf.Resv")]
        internal SgTable? Sg;
    }

    /// <summary>begin_cpu_udmabuf: builds the sg table on first use, unserialised.</summary>
    internal static int BeginCpuUdmabuf(Udmabuf ubuf)
    {
        if (ubuf.Sg is null) // DRV1001
        {
            var sg = SgTable.Alloc(ubuf.PageCount, Gfp.Kernel);
            if (sg is null)
            {
                return -Errno.ENOMEM;
            }

            ubuf.Sg = sg; // DRV1001
        }

        return 0;
    }

    /// <summary>end_cpu_udmabuf: reads the cached table unlocked.</summary>
    internal static int EndCpuUdmabuf(Udmabuf ubuf)
    {
        return ubuf.Sg is null ? -Errno.EINVAL : 0; // DRV1001
    }
}

internal static class Fixed
{
    internal sealed class Udmabuf
    {
        internal Udmabuf(DmaBuf.DmaBuf buf, int pageCount)
        {
            Buf = buf;
            PageCount = pageCount;
        }

        internal DmaBuf.DmaBuf Buf { get; }

        internal int PageCount { get; }

        [GuardedBy("Buf.Resv")]
        internal SgTable? Sg;
    }

    /// <summary>
    /// The check-then-set under the reservation. The table is built before the lock is taken and dropped if another
    /// begin won (the port's tables hold no pages until mapped, so dropping one is enough).
    /// </summary>
    internal static int BeginCpuUdmabuf(Udmabuf ubuf)
    {
        var sg = SgTable.Alloc(ubuf.PageCount, Gfp.Kernel);
        if (sg is null)
        {
            return -Errno.ENOMEM;
        }

        var ret = ubuf.Buf.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ubuf.Sg ??= sg;
        ubuf.Buf.Resv.Unlock();
        return 0;
    }

    internal static int EndCpuUdmabuf(Udmabuf ubuf)
    {
        var ret = ubuf.Buf.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = ubuf.Sg is null ? -Errno.EINVAL : 0;
        ubuf.Buf.Resv.Unlock();
        return ret;
    }
}
