using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>
/// <c>drm_gem_shmem_vm_ops</c>: the CPU fault handler and close of a native object's mmap. Faults arrive with
/// <c>mmap_lock</c> held for read and take the reservation inside it (the order of seed 002).
/// </summary>
internal sealed class GemVmOps : VmOperations
{
    public static readonly GemVmOps Instance = new();

    [Requires("vmf.Vma.Mm.MmapLock", Shared = true)]
    [MightSleep]
    public override VmFaultResult Fault(VmFault vmf)
    {
        if (vmf.Vma.VmPrivateData is not GemObject obj)
        {
            return VmFaultResult.SigBus;
        }

        using var guard = obj.Resv.LockScoped();
        var page = obj.PageAtLocked(vmf.Pgoff);
        if (page is null)
        {
            return VmFaultResult.SigBus;
        }

        page.Get();
        vmf.Page = page;
        return VmFaultResult.Ok;
    }

    [MightSleep]
    public override void Close(Vma vma)
    {
        if (vma.VmPrivateData is not GemObject obj || obj.ImportAttach is not null)
        {
            return;
        }

        CloseLocked(obj);
        vma.VmPrivateData = null;
        obj.Put();
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    private static void CloseLocked(GemObject obj)
    {
        using var guard = obj.Resv.LockScoped();
        obj.MmapCloseLocked();
    }
}
