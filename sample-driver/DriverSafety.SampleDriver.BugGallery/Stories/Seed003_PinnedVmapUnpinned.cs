// Seed 003: "[PATCH 1/8] drm/gem: Write down some rules for vmap usage", Daniel Vetter, dri-devel, 30 Nov 2020 (the
// pinned flavour).
//
// The story. Some users cannot hold the reservation lock for as long as they use the mapping - Vetter names the media
// subsystem, which "definitely doesn't cope with just temporarily mapping buffers. So there we need to pin them,
// which I think means we'll need 2 version of dma_buf_vmap - one that's temporary and requires we hold dma_resv
// lock, the other requires that the buffer is pinned." A long-lived mapping of an object nobody pinned is the first
// flavour's bug without its lock: the object can move under it.
//
// The fix. Pin first, vmap with the pinned flavour, vunmap, unpin (the sample driver's GemObject.VmapPinned and
// VunmapPinned are [RequiresState("pinned")]; GemObject.Pin begins the pin).
//
// Rule: DRV3005 at the pinned vmap and at the pinned vunmap of an object not proved pinned.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.Seed003PinnedVmapUnpinned;

internal static class Buggy
{
    /// <summary>A console that keeps the framebuffer mapped between flushes.</summary>
    [RequiresNotState("imported", Target = "bo")]
    internal static int Flush(GemObject bo, byte[] pixels)
    {
        var map = bo.VmapPinned(); // DRV3005
        if (map is null)
        {
            return -Errno.ENOMEM;
        }

        map.Write(0, pixels);
        bo.VunmapPinned(map); // DRV3005
        return 0;
    }
}

internal static class Fixed
{
    [RequiresNotState("imported", Target = "bo")]
    internal static int Flush(GemObject bo, byte[] pixels)
    {
        var ret = bo.Pin();
        if (ret != 0)
        {
            return ret;
        }

        var map = bo.VmapPinned();
        if (map is null)
        {
            bo.Unpin();
            return -Errno.ENOMEM;
        }

        map.Write(0, pixels);
        bo.VunmapPinned(map);
        bo.Unpin();
        return 0;
    }
}
