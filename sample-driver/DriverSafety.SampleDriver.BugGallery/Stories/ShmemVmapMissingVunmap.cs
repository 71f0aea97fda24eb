// Commit df4aaf015775 ("drm/shmem-helper: Add missing vunmap on error"), Dmitry Osipenko, 2022 (posted in his
// shrinker series on dri-devel, May-June 2022; pushed by Daniel Vetter); it fixes 49a3f51dfeee ("drm/gem: Use struct
// dma_buf_map in GEM vmap ops and convert GEM backends").
//
// The story. drm_gem_shmem_vmap_locked() maps an imported buffer through the exporter with dma_buf_vmap(). The
// shmem helpers cannot use an I/O-memory mapping: "The vmapping of dma-buf may succeed, but DRM SHMEM rejects the
// IOMEM mapping", and the function failed with -EIO after dma_buf_vmap() had succeeded, without dma_buf_vunmap().
// Each attempt leaked the exporter's mapping and its vmap count.
//
// The fix. Unmap on that error path before returning. The helper here states what it hands its caller: the mapping,
// under the reservation lock, on success only (its own [Begins]); the rejected mapping is not handed over.
//
// Rule: DRV3001 at the dma-buf vmap, the error exit that leaves it mapped as additional location. (The port has no
// I/O memory; IsIoMem stands for iosys_map.is_iomem.)
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.ShmemVmapMissingVunmap;

internal static class Buggy
{
    /// <summary>drm_gem_shmem_vmap_locked for an imported buffer.</summary>
    [Requires("buf.Resv")]
    [Begins("vmap", Target = "buf", While = "buf.Resv", Counted = true, When = ReturnIs.Zero)]
    internal static int ShmemVmapImported(DmaBuf.DmaBuf buf, out GemVmap? map)
    {
        map = null;
        var vaddr = buf.Vmap(); // DRV3001
        if (vaddr is null)
        {
            return -Errno.ENOMEM;
        }

        if (IsIoMem(vaddr))
        {
            return -Errno.EIO;
        }

        map = vaddr;
        return 0;
    }

    private static bool IsIoMem(GemVmap map) => map.Size == 0;
}

internal static class Fixed
{
    [Requires("buf.Resv")]
    [Begins("vmap", Target = "buf", While = "buf.Resv", Counted = true, When = ReturnIs.Zero)]
    internal static int ShmemVmapImported(DmaBuf.DmaBuf buf, out GemVmap? map)
    {
        map = null;
        var vaddr = buf.Vmap();
        if (vaddr is null)
        {
            return -Errno.ENOMEM;
        }

        if (IsIoMem(vaddr))
        {
            buf.Vunmap(vaddr);
            return -Errno.EIO;
        }

        map = vaddr;
        return 0;
    }

    private static bool IsIoMem(GemVmap map) => map.Size == 0;
}
