// Seed 003: "[PATCH 1/8] drm/gem: Write down some rules for vmap usage", Thomas Zimmermann and Daniel Vetter,
// dri-devel, 30 Nov 2020 (second half: the lock must be held until vunmap).
//
// The story. The rule is not only "hold the reservation lock when calling vmap" but "from when calling this
// function until releasing the mapping": without a pin, the object may be evicted and its pages moved the moment
// the lock is dropped, and the mapping then points at memory the object no longer owns. A blit that takes the lock,
// vmaps, drops the lock and copies through the mapping has the lock for the call only.
//
// The fix. Keep the reservation lock held until vunmap (the sample driver's GemObject.Vmap begins its mapping with
// While = "Resv"), or pin the object and use the pinned flavour (Seed003_PinnedVmapUnpinned.cs).
//
// Rule: DRV3006 at the unlock that leaves the mapping without its lock.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.Seed003VunmapAfterUnlock;

internal static class Buggy
{
    [RequiresNotState("imported", Target = "bo")]
    internal static int Blit(GemObject bo, byte[] pixels)
    {
        var ret = bo.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        var map = bo.Vmap();
        if (map is null)
        {
            bo.Resv.Unlock();
            return -Errno.ENOMEM;
        }

        bo.Resv.Unlock(); // DRV3006
        map.Write(0, pixels);
        using (var guard = bo.Resv.LockScoped())
        {
            bo.Vunmap(map);
        }

        return 0;
    }
}

internal static class Fixed
{
    [RequiresNotState("imported", Target = "bo")]
    internal static int Blit(GemObject bo, byte[] pixels)
    {
        var ret = bo.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        var map = bo.Vmap();
        if (map is null)
        {
            bo.Resv.Unlock();
            return -Errno.ENOMEM;
        }

        map.Write(0, pixels);
        bo.Vunmap(map);
        bo.Resv.Unlock();
        return 0;
    }
}
