// Seed 003: "[PATCH 1/8] drm/gem: Write down some rules for vmap usage", Thomas Zimmermann and Daniel Vetter,
// dri-devel, 30 Nov 2020.
//
// The story. A GEM object's kernel mapping is only good while the object cannot move. The fbdev emulation and the
// in-kernel DRM clients vmapped buffers for their damage handlers and blits without holding the object's
// reservation lock, and nothing stopped an eviction from moving the pages underneath the mapping. Zimmermann wrote
// the rule down: "callers must hold the GEM object's reservation lock from when calling this function until
// releasing the mapping". Vetter: documenting is not enough, "Enforce it = assert_lock_held".
//
// The fix. Take the reservation lock around the whole vmap ... vunmap section (the sample driver's GemObject.Vmap is
// [Requires("Resv")], the assert made a contract). The pinned flavour, for mappings that must outlive the lock, is
// its own story (Seed003_PinnedVmapUnpinned.cs), as is releasing the lock before vunmap
// (Seed003_VunmapAfterUnlock.cs).
//
// Rule: DRV1002 at both calls made without the lock.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.Seed003VmapWithoutReservation;

internal static class Buggy
{
    /// <summary>The fbdev damage handler: copies the shadow buffer into the GEM buffer through a kernel mapping.</summary>
    [RequiresNotState("imported", Target = "bo")]
    internal static int Damage(GemObject bo, byte[] shadow)
    {
        var map = bo.Vmap(); // DRV1002
        if (map is null)
        {
            return -Errno.ENOMEM;
        }

        map.Write(0, shadow);
        bo.Vunmap(map); // DRV1002
        return 0;
    }
}

internal static class Fixed
{
    [RequiresNotState("imported", Target = "bo")]
    internal static int Damage(GemObject bo, byte[] shadow)
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

        map.Write(0, shadow);
        bo.Vunmap(map);
        bo.Resv.Unlock();
        return 0;
    }
}
