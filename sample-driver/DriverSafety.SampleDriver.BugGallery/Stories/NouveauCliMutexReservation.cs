// "WARNING: possible circular locking dependency detected" in nouveau, a lockdep report on dri-devel, May 2022
// (5.18.0-rc6, an Optimus laptop, while the NVIDIA GPU runtime-suspends shortly after gdm has loaded).
//
// The story. Two paths in nouveau take a buffer's reservation (reservation_ww_class_mutex) and the client mutex
// cli->mutex in opposite orders. The channel ioctls run under cli->mutex and pin buffers, which takes their
// reservation (nouveau_abi16_ioctl_channel_alloc → nouveau_channel_new → nouveau_bo_pin → ww_mutex_lock). The
// runtime-suspend worker waited on a buffer with its reservation held (ttm_bo_wait) and then took cli->mutex.
// Lockdep: "kworker/1:1/46 is trying to acquire lock: (&cli->mutex) ... but task is already holding lock:
// (reservation_ww_class_mutex)". Each path can hold what the other wants.
//
// The fix. Not retold from upstream here. The fixed twin keeps one order everywhere: cli->mutex outside, the
// reservation inside, so the worker takes the client lock before it touches the buffer.
//
// Rule: DRV1007 at the acquisition that goes against the other path, with both witnesses in the message.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.NouveauCliMutexReservation;

internal static class Buggy
{
    internal sealed class NouveauCli
    {
        internal readonly Mutex Mutex = new("nouveau_cli.mutex");

        [GuardedBy("Mutex")]
        internal int Channels;
    }

    /// <summary>The runtime-suspend worker: waits for the buffer under its reservation, then takes the client lock.</summary>
    internal static int SuspendWorker(NouveauCli cli, GemObject bo)
    {
        var ret = bo.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        cli.Mutex.Lock(); // DRV1007
        cli.Channels = 0;
        cli.Mutex.Unlock();
        bo.Resv.Unlock();
        return 0;
    }

    /// <summary>nouveau_abi16_ioctl_channel_alloc: under cli->mutex, pins the push buffer (its reservation).</summary>
    internal static int ChannelAlloc(NouveauCli cli, GemObject pushbuf)
    {
        cli.Mutex.Lock();
        var ret = pushbuf.Resv.LockInterruptible(null);
        if (ret == 0)
        {
            cli.Channels++;
            pushbuf.Resv.Unlock();
        }

        cli.Mutex.Unlock();
        return ret;
    }
}

internal static class Fixed
{
    internal sealed class NouveauCli
    {
        internal readonly Mutex Mutex = new("nouveau_cli.mutex");

        [GuardedBy("Mutex")]
        internal int Channels;
    }

    /// <summary>One order: the client lock first, the reservation inside it.</summary>
    internal static int SuspendWorker(NouveauCli cli, GemObject bo)
    {
        cli.Mutex.Lock();
        var ret = bo.Resv.LockInterruptible(null);
        if (ret == 0)
        {
            cli.Channels = 0;
            bo.Resv.Unlock();
        }

        cli.Mutex.Unlock();
        return ret;
    }

    internal static int ChannelAlloc(NouveauCli cli, GemObject pushbuf)
    {
        cli.Mutex.Lock();
        var ret = pushbuf.Resv.LockInterruptible(null);
        if (ret == 0)
        {
            cli.Channels++;
            pushbuf.Resv.Unlock();
        }

        cli.Mutex.Unlock();
        return ret;
    }
}
