// Seed 000: "[Intel-gfx] [PATCH] drm/i915: avoid leaking DMA mappings", Imre Deak and Chris Wilson, intel-gfx,
// 6 Jul 2015.
//
// The story. i915 created the DMA mapping of a shmem or userptr object's pages when the object was bound to a GPU
// address space (i915_gem_gtt_prepare_object) and released it when it was unbound (i915_gem_gtt_finish_object).
// An object can be bound to several address spaces, so the second binding mapped pages that were already mapped:
// "This is not allowed by the DMA API and can lead to leaked mapping data and IOMMU memory space starvation ...
// HW IOMMU drivers (intel_iommu) allocate a new range from their memory space whenever a mapping is created,
// silently overriding a pre-existing mapping." Unbinding from every address space released it once per binding.
// Deak noticed it with DMA-API debugging, which switched itself off when its tables filled up.
//
// The fix. One mapping per object: Deak's patch created it only when has_dma_mapping said there was none; Wilson
// moved it into get_pages/put_pages, so the pages are mapped exactly once while the object has them (the sample
// driver's GemObject.GetPagesLocked). The fixed twin tests the sg table's mapped state before mapping and unmaps
// once, when the last binding goes.
//
// Rules: DRV3002 at the map of a table not proved unmapped, and DRV3004 at the unmap that runs once per binding (on
// its second iteration the table is known unmapped).
using DriverSafety.SampleDriver.Dma;

namespace DriverSafety.SampleDriver.BugGallery.Seed000I915DoubleDmaMapping;

internal sealed class I915Object
{
    internal I915Object(SgTable pages) => Pages = pages;

    /// <summary>obj->pages: the sg table of the object's backing pages.</summary>
    internal SgTable Pages { get; }

    internal int BindCount;
}

internal static class Buggy
{
    private const DmaDataDirection Dir = DmaDataDirection.Bidirectional;

    /// <summary>i915_vma_bind → i915_gem_gtt_prepare_object: maps the pages for every new binding.</summary>
    internal static int BindToVm(Device dev, I915Object obj)
    {
        var ret = DmaApi.MapSgtable(dev, obj.Pages, Dir); // DRV3002
        if (ret != 0)
        {
            return ret;
        }

        obj.BindCount++;
        return 0;
    }

    /// <summary>i915_gem_object_unbind: every binding goes, and i915_gem_gtt_finish_object with each.</summary>
    internal static void UnbindAll(Device dev, I915Object obj)
    {
        while (obj.BindCount > 0)
        {
            obj.BindCount--;
            DmaApi.UnmapSgtable(dev, obj.Pages, Dir); // DRV3004
        }
    }
}

internal static class Fixed
{
    private const DmaDataDirection Dir = DmaDataDirection.Bidirectional;

    internal static int BindToVm(Device dev, I915Object obj)
    {
        if (!obj.Pages.IsMapped)
        {
            var ret = DmaApi.MapSgtable(dev, obj.Pages, Dir);
            if (ret != 0)
            {
                return ret;
            }
        }

        obj.BindCount++;
        return 0;
    }

    internal static void UnbindAll(Device dev, I915Object obj)
    {
        while (obj.BindCount > 0)
        {
            obj.BindCount--;
        }

        if (obj.Pages.IsMapped)
        {
            DmaApi.UnmapSgtable(dev, obj.Pages, Dir);
        }
    }
}
