// Commit d99fbd9aab62 ("drm/ttm: Always take the bo delayed cleanup path for imported bos"), Thomas Hellström,
// 28 Jun 2024, v6.10-rc7 (reviewed by Matthew Brost; Cc stable for v6.8+, where Xe's drm_exec use made it reliable).
//
// The story. "Bos can be put with multiple unrelated dma-resv locks held. But imported bos attempt to grab the bo
// dma-resv during dma-buf detach that typically happens during cleanup." Xe destroys a VM's mappings with the VM's
// reservation held through drm_exec; dropping the last reference to an imported buffer there ran its destructor
// inline (ttm_bo_release → xe_ttm_bo_destroy → drm_prime_gem_destroy → dma_buf_detach), which locks the imported
// buffer's reservation: a second lock of the same class, nested without the acquire context. Lockdep: "possible
// recursive locking detected ... May be due to missing lock nesting notation"; with two threads, an ABBA deadlock.
//
// The fix. Imported buffers always take the delayed-destroy path: the release is queued to a worker, which detaches
// with no other reservation held (the sample driver's GemObject.PutDeferred does the same for the same reason).
//
// Rule: DRV1010 at the put made with the VM's reservation held, with the chain to the detach's lock.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.XeImportedBoPut;

internal static class Buggy
{
    /// <summary>xe_vma_destroy_unlocked: with the VM's reservation held, drops the mapping's buffer.</summary>
    internal static int VmaDestroy(GemObject vmRoot, GemObject bo)
    {
        var ret = vmRoot.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        BoPut(bo); // DRV1010
        vmRoot.Resv.Unlock();
        return 0;
    }

    /// <summary>The last reference: ttm_bo_release destroys the buffer inline.</summary>
    private static void BoPut(GemObject bo) => DmaBufDetach(bo);

    /// <summary>drm_prime_gem_destroy → dma_buf_detach: locks the (shared) reservation of the imported buffer.</summary>
    private static void DmaBufDetach(GemObject bo)
    {
        using var guard = bo.Resv.LockScoped();
        bo.Resv.PruneSignaled();
    }
}

internal static class Fixed
{
    internal static int VmaDestroy(GemObject vmRoot, GemObject bo)
    {
        var ret = vmRoot.Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        BoPut(bo);
        vmRoot.Resv.Unlock();
        return 0;
    }

    /// <summary>The delayed-destroy path: the detach runs later on a worker, with no reservation held.</summary>
    private static void BoPut(GemObject bo) => WorkQueue.System.Queue(new Work(() => DmaBufDetach(bo), "ttm_bo_delayed_delete"));

    private static void DmaBufDetach(GemObject bo)
    {
        using var guard = bo.Resv.LockScoped();
        bo.Resv.PruneSignaled();
    }
}
