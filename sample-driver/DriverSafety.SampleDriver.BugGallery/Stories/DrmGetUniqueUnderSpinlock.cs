// "Re: [PATCH v3 5/9] drm: protect magic_map, unique{_len} with master_lookup_lock", Daniel Vetter reviewing Desmond
// Cheong Zhi Xi, dri-devel / linaro-mm-sig, 18 Aug 2021.
//
// The story. To untangle drm_master locking, the patch moved drm_master.unique and the busid setup from the sleeping
// dev->master_mutex to the inner spinlock dev->master_lookup_lock. drm_getunique() then called copy_to_user() with
// the spinlock held, and drm_setversion() called drm_set_busid(), which allocates the busid string with GFP_KERNEL,
// under it. Vetter: "copy_to_user while holding a spinlock isn't going to work well, at least when we take a fault",
// and "calling kmalloc under a spinlock isn't a good idea".
//
// The fix. Review caught both before the patch was merged. The fixed twin keeps these fields under the sleeping
// master_mutex, where a fault or a GFP_KERNEL allocation may sleep.
//
// Rule: DRV2001 twice: the user copy ([MightSleep]) and the allocation two calls below drm_setversion().
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.BugGallery.DrmGetUniqueUnderSpinlock;

internal static class Buggy
{
    internal sealed class DrmDevice
    {
        internal readonly SpinLock MasterLookupLock = new("drm_device.master_lookup_lock");

        [GuardedBy("MasterLookupLock")]
        internal byte[]? Unique;

        internal int PciSlot { get; init; }
    }

    /// <summary>drm_getunique.</summary>
    internal static int GetUnique(DrmDevice dev, MmStruct mm, ulong userBuffer)
    {
        dev.MasterLookupLock.Lock();
        var unique = dev.Unique;
        if (unique is null)
        {
            dev.MasterLookupLock.Unlock();
            return -Errno.EINVAL;
        }

        if (!mm.CopyToUser(userBuffer, unique)) // DRV2001
        {
            dev.MasterLookupLock.Unlock();
            return -Errno.EFAULT;
        }

        dev.MasterLookupLock.Unlock();
        return 0;
    }

    /// <summary>drm_setversion: sets the busid under the lock.</summary>
    internal static int SetVersion(DrmDevice dev)
    {
        dev.MasterLookupLock.Lock();
        var busid = SetBusid(dev.PciSlot); // DRV2001
        dev.Unique = busid;
        dev.MasterLookupLock.Unlock();
        return 0;
    }

    /// <summary>drm_set_busid → kasprintf(GFP_KERNEL, "pci:%04x:...").</summary>
    private static byte[] SetBusid(int slot) => Kasprintf(16 + (slot & 7));

    private static byte[] Kasprintf(int length) => Slab.Kmalloc(length, Gfp.Kernel);
}

internal static class Fixed
{
    internal sealed class DrmDevice
    {
        internal readonly Mutex MasterMutex = new("drm_device.master_mutex");

        [GuardedBy("MasterMutex")]
        internal byte[]? Unique;

        internal int PciSlot { get; init; }
    }

    internal static int GetUnique(DrmDevice dev, MmStruct mm, ulong userBuffer)
    {
        dev.MasterMutex.Lock();
        var unique = dev.Unique;
        if (unique is null)
        {
            dev.MasterMutex.Unlock();
            return -Errno.EINVAL;
        }

        if (!mm.CopyToUser(userBuffer, unique))
        {
            dev.MasterMutex.Unlock();
            return -Errno.EFAULT;
        }

        dev.MasterMutex.Unlock();
        return 0;
    }

    internal static int SetVersion(DrmDevice dev)
    {
        dev.MasterMutex.Lock();
        var busid = SetBusid(dev.PciSlot);
        dev.Unique = busid;
        dev.MasterMutex.Unlock();
        return 0;
    }

    private static byte[] SetBusid(int slot) => Kasprintf(16 + (slot & 7));

    private static byte[] Kasprintf(int length) => Slab.Kmalloc(length, Gfp.Kernel);
}
