using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary><c>vm_flags</c>.</summary>
[Flags]
public enum VmFlags : uint
{
    None = 0,
    Read = 1 << 0,
    Write = 1 << 1,
    Exec = 1 << 2,
    Shared = 1 << 3,
    /// <summary><c>VM_IO</c>: device memory; never pinned by get_user_pages.</summary>
    Io = 1 << 4,
    /// <summary><c>VM_PFNMAP</c>: raw PFNs without struct page.</summary>
    PfnMap = 1 << 5,
    DontExpand = 1 << 6,
    DontDump = 1 << 7,
}

/// <summary>The result of a fault handler (<c>vm_fault_t</c>).</summary>
public enum VmFaultResult
{
    /// <summary>The handler returned a page in <see cref="VmFault.Page"/> for the core to map.</summary>
    Ok,
    /// <summary><c>VM_FAULT_NOPAGE</c>: the handler installed the PTE itself.</summary>
    NoPage,
    /// <summary><c>VM_FAULT_OOM</c>.</summary>
    Oom,
    /// <summary><c>VM_FAULT_SIGBUS</c>.</summary>
    SigBus,
    /// <summary><c>VM_FAULT_SIGSEGV</c>: no VMA covers the address.</summary>
    SigSegv,
}

/// <summary><c>struct vm_fault</c>.</summary>
public sealed class VmFault
{
    internal VmFault(Vma vma, ulong address, bool write)
    {
        Vma = vma;
        Address = address & ~(ulong)(Page.Size - 1);
        Pgoff = vma.VmPgoff + ((Address - vma.VmStart) >> Page.Shift);
        Write = write;
    }

    public Vma Vma { get; }

    /// <summary>The faulting address, page aligned.</summary>
    public ulong Address { get; }

    /// <summary>The page offset in the mapped object (<c>vm_pgoff</c> plus the page index in the VMA).</summary>
    public ulong Pgoff { get; }

    public bool Write { get; }

    /// <summary>The page the handler returns with <see cref="VmFaultResult.Ok"/>; it hands over one reference.</summary>
    public Page? Page { get; set; }
}

/// <summary><c>struct vm_operations_struct</c>.</summary>
public abstract class VmOperations
{
    /// <summary><c>vm_ops->open</c>: the VMA was duplicated or split.</summary>
    public virtual void Open(Vma vma)
    {
    }

    /// <summary><c>vm_ops->close</c>: the VMA is going away.</summary>
    public virtual void Close(Vma vma)
    {
    }

    /// <summary><c>vm_ops->fault</c>: called with <c>mmap_lock</c> held for read.</summary>
    [Requires("vmf.Vma.Mm.MmapLock", Shared = true), MightSleep]
    public abstract VmFaultResult Fault(VmFault vmf);
}

/// <summary>
/// <c>struct vm_area_struct</c>: a mapping of <c>[VmStart, VmEnd)</c> in an address space. It holds a reference to
/// <see cref="VmFile"/> from creation to close; the file's <c>f_mapping</c> is what <c>unmap_mapping_range</c> walks, so
/// replacing the file of a live VMA breaks invalidation (seed 001). <see cref="VmPgoff"/> may be adjusted.
/// </summary>
public sealed class Vma
{
    /// <summary><c>vm_file</c>.</summary>
    [NoReassign]
    public File? VmFile;

    internal Vma(MmStruct mm, ulong start, ulong end, ulong pgoff, VmFlags flags, File? file)
    {
        Mm = mm;
        VmStart = start;
        VmEnd = end;
        VmPgoff = pgoff;
        VmFlags = flags;
        VmFile = file?.Get();
    }

    /// <summary><c>vm_mm</c>.</summary>
    public MmStruct Mm { get; }

    public ulong VmStart { get; }

    public ulong VmEnd { get; }

    /// <summary><c>vm_pgoff</c>: the offset, in pages, of <see cref="VmStart"/> in the mapped object.</summary>
    public ulong VmPgoff { get; set; }

    public VmFlags VmFlags { get; set; }

    /// <summary><c>vm_ops</c>.</summary>
    public VmOperations? VmOps { get; set; }

    /// <summary><c>vm_private_data</c>.</summary>
    public object? VmPrivateData { get; set; }

    public ulong Length => VmEnd - VmStart;

    public int PageCount => (int)(Length >> Page.Shift);

    public bool IsAnonymous => VmFile is null;

    public bool Contains(ulong address) => address >= VmStart && address < VmEnd;

    /// <summary><c>vm_insert_page</c>: maps <paramref name="page"/> at <paramref name="address"/> (takes a reference).</summary>
    [Requires("Mm.MmapLock", Shared = true)]
    public int InsertPage(ulong address, Page page)
    {
        if (!Contains(address))
        {
            return -Errno.EFAULT;
        }

        page.Get();
        if (!Mm.InstallPte(address, page))
        {
            page.Put();
            return -Errno.EBUSY;
        }

        return 0;
    }

    /// <summary>Closes the VMA: <c>vm_ops->close</c>, then drops the file reference.</summary>
    internal void Close()
    {
        VmOps?.Close(this);
        VmFile?.Put();
    }

    /// <inheritdoc />
    public override string ToString() => $"vma [0x{VmStart:x}, 0x{VmEnd:x}) pgoff {VmPgoff}{(VmFile is null ? " anon" : " " + VmFile.Name)}";
}

/// <summary>The fault handler of anonymous memory: a zeroed page, or the page's contents back from swap.</summary>
internal sealed class AnonymousVmOps : VmOperations
{
    public static readonly AnonymousVmOps Instance = new();

    [Requires("vmf.Vma.Mm.MmapLock", Shared = true), MightSleep]
    public override VmFaultResult Fault(VmFault vmf)
    {
        var page = PageAlloc.AllocPage(Gfp.Kernel);
        if (page is null)
        {
            return VmFaultResult.Oom;
        }

        vmf.Vma.Mm.SwapIn(vmf.Address, page);
        vmf.Page = page;
        return VmFaultResult.Ok;
    }
}
