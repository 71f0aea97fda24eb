// Seed 001: "[PATCH 1/2] drm/vgem: Do not allocate backing shmemfs file for an import dmabuf object", Chris Wilson,
// lepton, Christian König and Daniel Vetter, dri-devel, 7-9 Jul 2020.
//
// The story. vgem gave every object a shmemfs file, imported ones too, so an object imported from another driver's
// dma-buf could be mmapped through vgem as if its pages were vgem's: "the obj->pages are not always meaningful and
// the shmemfs backing store misleading". König: "Mapping DMA-buf through the mmap() APIs of an importer is illegal".
// The alternative, redirecting the importer's mmap to the exporter, came with its own trap: the helpers that forward
// to dma_buf_mmap() would have to point vma->vm_file at the exporter's file, and "changing vma->vm_file, that's
// something I haven't seen before and most likely could blow up badly" - the exporter invalidates CPU mappings
// through its own address_space, which the VMA would no longer name.
//
// The fix. Imported objects get no shmemfs file and are not mmapped as native objects; where forwarding is wanted,
// it goes through dma_buf_mmap(), whose core sets vm_file itself (vma_set_file). The sample driver states both as
// contracts: GemObject.MmapNative is [RequiresNotState("imported")], Vma.VmFile is [NoReassign].
//
// Rules: DRV3005 at the native mmap of an object not proved native, and DRV3007 at the driver's vm_file rewrite.
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.BugGallery.Seed001VgemImportedMmap;

internal static class Buggy
{
    /// <summary>vgem's mmap before the fix: every object is mmapped from its shmemfs backing.</summary>
    [Requires("vma.Mm.MmapLock")]
    internal static int VgemMmap(GemObject obj, Vma vma)
    {
        return obj.MmapNative(vma); // DRV3005
    }

    /// <summary>The forwarding flavour, done by hand: the driver swaps the VMA's file for the exporter's.</summary>
    [Requires("vma.Mm.MmapLock")]
    internal static int PrimeMmapForward(GemObject obj, Vma vma)
    {
        var attach = obj.ImportAttach;
        if (attach is null)
        {
            return -Errno.EINVAL;
        }

        vma.VmFile = attach.DmaBuf.File; // DRV3007
        return attach.DmaBuf.Mmap(vma, 0);
    }
}

internal static class Fixed
{
    /// <summary>Imported objects go to their exporter; dma_buf_mmap() sets vm_file itself.</summary>
    [Requires("vma.Mm.MmapLock")]
    internal static int VgemMmap(GemObject obj, Vma vma)
    {
        if (obj.ImportAttach is { } attach)
        {
            return attach.DmaBuf.Mmap(vma, 0);
        }

        return obj.MmapNative(vma);
    }

    [Requires("vma.Mm.MmapLock")]
    internal static int PrimeMmapForward(GemObject obj, Vma vma)
    {
        var attach = obj.ImportAttach;
        if (attach is null)
        {
            return -Errno.EINVAL;
        }

        return attach.DmaBuf.Mmap(vma, 0);
    }
}
