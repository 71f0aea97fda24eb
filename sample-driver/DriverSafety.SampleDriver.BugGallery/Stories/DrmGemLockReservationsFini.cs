// "drm/gem: Properly annotate WW context on drm_gem_lock_reservations() error", Dmitry Osipenko, dri-devel, April 2022
// (2939deac1fa2 in drm-misc, pulled with drm-misc-next-fixes-2022-08-10: "gem: Annotate WW context in error paths").
//
// The story. drm_gem_lock_reservations() locks the reservations of a job's buffers under one wound/wait acquire
// context, which it initialises with ww_acquire_init(). On success the caller later unlocks everything and calls
// ww_acquire_fini(). On its error paths (a lock interrupted by a signal) it dropped the reservations it held and
// called ww_acquire_done() - which only says no more locks will be taken - instead of ww_acquire_fini(): the acquire
// context, which lockdep tracks like a held lock (reservation_ww_class_acquire), stayed "held" when the ioctl
// returned to user space.
//
// The fix. ww_acquire_fini() on the error paths. Here the context's lockdep map is an annotated lock type of
// the driver (AcquireTicket: ww_acquire_init acquires it, ww_acquire_fini releases it, as lockdep models it), and the
// locking is retold inside the submit path that uses it (lock both buffers, add the job's fence, unlock, fini).
//
// Rule: DRV1003 at ww_acquire_init, the error exits that leave the context held as additional locations.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.BugGallery.DrmGemLockReservationsFini;

/// <summary>A wound/wait acquire context as lockdep sees it: ww_acquire_init() acquires its map, ww_acquire_fini() releases it.</summary>
[LockType(LockKind.Sleeping)]
internal sealed class AcquireTicket
{
    internal AcquireTicket() => Ctx = new WwAcquireContext(DmaResv.ReservationWwClass);

    internal WwAcquireContext Ctx { get; }

    /// <summary>ww_acquire_init.</summary>
    [Acquires]
    internal void Init()
    {
    }

    /// <summary>ww_acquire_fini.</summary>
    [Releases]
    internal void Fini() => Ctx.Fini();
}

internal static class Buggy
{
    /// <summary>A copy job from src to dst: drm_gem_lock_reservations, the fence, drm_gem_unlock_reservations.</summary>
    internal static int SubmitCopy(GemObject src, GemObject dst, DmaFence fence)
    {
        var ticket = new AcquireTicket();
        ticket.Init(); // DRV1003
        var ret = src.Resv.LockInterruptible(ticket.Ctx);
        if (ret != 0)
        {
            ticket.Ctx.Done();
            return ret;
        }

        ret = dst.Resv.LockInterruptible(ticket.Ctx);
        if (ret != 0)
        {
            src.Resv.Unlock();
            ticket.Ctx.Done();
            return ret;
        }

        ticket.Ctx.Done();
        src.Resv.AddFence(fence, DmaResvUsage.Read);
        dst.Resv.AddFence(fence, DmaResvUsage.Write);
        dst.Resv.Unlock();
        src.Resv.Unlock();
        ticket.Fini();
        return 0;
    }
}

internal static class Fixed
{
    internal static int SubmitCopy(GemObject src, GemObject dst, DmaFence fence)
    {
        var ticket = new AcquireTicket();
        ticket.Init();
        var ret = src.Resv.LockInterruptible(ticket.Ctx);
        if (ret != 0)
        {
            ticket.Fini();
            return ret;
        }

        ret = dst.Resv.LockInterruptible(ticket.Ctx);
        if (ret != 0)
        {
            src.Resv.Unlock();
            ticket.Fini();
            return ret;
        }

        ticket.Ctx.Done();
        src.Resv.AddFence(fence, DmaResvUsage.Read);
        dst.Resv.AddFence(fence, DmaResvUsage.Write);
        dst.Resv.Unlock();
        src.Resv.Unlock();
        ticket.Fini();
        return 0;
    }
}
