// "[PATCH v2] drm/panfrost: Fix dma_resv deadlock at drm object pin time", Adrián Larumbe, dri-devel, 23 Apr 2024
// (reviewed by Boris Brezillon); it fixes a78027847226 ("drm/gem: Acquire reservation lock in
// drm_gem_{pin/unpin}()").
//
// The story. a78027847226 made the core's drm_gem_pin() take the object's reservation lock around the driver's pin
// callback. Panfrost's callback, panfrost_gem_pin(), delegated to drm_gem_shmem_pin(), which takes the same
// reservation lock itself. Pinning an object for another driver's dma-buf attachment then locked the reservation
// twice: "possible recursive locking ... trying to acquire lock: (reservation_ww_class_mutex) at:
// drm_gem_shmem_pin ... but task is already holding lock: (reservation_ww_class_mutex) at: drm_gem_pin". Lima had
// the same callback.
//
// The fix. "Fix it by assuming the object's reservation had already been locked by the time we reach
// panfrost_gem_pin": the callback calls the shmem pin that expects the caller to hold the reservation
// (drm_gem_shmem_object_pin); here, the callback's own [Requires] contract.
//
// Rule: DRV1005 at the core's call of the callback, with the chain to the second acquisition. (The callback is
// called directly here: through a function pointer only its declared contract would be seen.)
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.PanfrostPinRecursiveReservation;

internal static class Buggy
{
    /// <summary>drm_gem_pin after a78027847226: the core takes the reservation around the driver's callback.</summary>
    [RequiresNotState("imported", Target = "obj")]
    internal static int DrmGemPin(GemObject obj)
    {
        var ret = obj.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = PanfrostGemPin(obj); // DRV1005
        obj.Resv.Unlock();
        return ret;
    }

    /// <summary>panfrost_gem_pin → drm_gem_shmem_pin, which locks the reservation itself.</summary>
    [RequiresNotState("imported", Target = "obj")]
    private static int PanfrostGemPin(GemObject obj) => ShmemPin(obj);

    [RequiresNotState("imported", Target = "obj")]
    private static int ShmemPin(GemObject obj)
    {
        var ret = obj.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = obj.PinLocked();
        obj.Resv.Unlock();
        return ret;
    }
}

internal static class Fixed
{
    [RequiresNotState("imported", Target = "obj")]
    internal static int DrmGemPin(GemObject obj)
    {
        var ret = obj.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = PanfrostGemPin(obj);
        obj.Resv.Unlock();
        return ret;
    }

    /// <summary>The callback runs under the core's lock: drm_gem_shmem_pin_locked.</summary>
    [Requires("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    private static int PanfrostGemPin(GemObject obj) => obj.PinLocked();
}
