using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>
/// <c>struct i915_vma</c> / <c>drm_gpuva</c>: one binding of an object into one GPU address space. The PTEs of the
/// range hold the DMA addresses of the object's single mapping (seed 000: binding never maps again).
/// </summary>
public sealed class GemVma
{
    internal GemVma(AddressSpace vm, GemObject obj, ulong start, int pages)
    {
        Vm = vm;
        Obj = obj;
        Start = start;
        Pages = pages;
    }

    /// <summary>The address space the object is bound into.</summary>
    public AddressSpace Vm { get; }

    /// <summary>The bound object.</summary>
    public GemObject Obj { get; }

    /// <summary>First GPU virtual address of the binding.</summary>
    public ulong Start { get; }

    /// <summary>Number of pages bound.</summary>
    public int Pages { get; }

    /// <summary>One past the last GPU virtual address.</summary>
    public ulong End => Start + ((ulong)Pages << Page.Shift);

    public override string ToString() => $"vma [0x{Start:x}, 0x{End:x}) of {Obj} in {Vm.Name}";
}

/// <summary>
/// A GPU address space (<c>struct i915_address_space</c>, a ppGTT): a two-level page table of DMA addresses and an
/// allocator of virtual ranges. Its mutex is taken by the shrinker and by MMU-notifier invalidation (to unbind), so
/// it is a reclaim lock (i915's <c>fs_reclaim_taints_mutex(&amp;vm-&gt;mutex)</c>): page tables are therefore allocated
/// into a stash before the mutex is taken, never under it.
/// </summary>
public sealed class AddressSpace
{
    /// <summary>Entries per page table.</summary>
    public const int PtesPerTable = 512;

    private const ulong TableSpan = (ulong)PtesPerTable << Page.Shift;

    [GuardedBy("Mutex")]
    private readonly ulong[]?[] _tables;

    [GuardedBy("Mutex")]
    private readonly byte[]?[] _tableStorage;

    [GuardedBy("Mutex")]
    private readonly SortedDictionary<ulong, GemVma> _nodes = new();

    [GuardedBy("Mutex")]
    private bool _closed;

    public AddressSpace(GemDevice dev, string name, ulong size)
    {
        if (size == 0 || size % TableSpan != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), "an address space is a whole number of page tables");
        }

        Dev = dev;
        Name = name;
        Size = size;
        _tables = new ulong[]?[size / TableSpan];
        _tableStorage = new byte[]?[_tables.Length];
    }

    /// <summary>The device whose GPU uses this address space.</summary>
    public GemDevice Dev { get; }

    /// <summary>Name for reports.</summary>
    public string Name { get; }

    /// <summary>Size of the virtual range in bytes.</summary>
    public ulong Size { get; }

    /// <summary><c>vm->mutex</c>: protects the page tables and the range allocator.</summary>
    [AcquiredAfter("GemObject.Resv")]
    public Mutex Mutex { get; } = new("AddressSpace.Mutex");

    /// <summary>Number of live bindings.</summary>
    [MightSleep]
    [Excludes("Mutex")]
    public int BoundCount()
    {
        using var guard = Mutex.LockScoped();
        return _nodes.Count;
    }

    /// <summary>
    /// <c>i915_vma_pin</c> + bind: binds <paramref name="obj"/> (native or imported) into this address space. The
    /// object's backing is acquired through its one DMA mapping; page tables come from a stash allocated before the
    /// reclaim-tainted mutex is taken. Returns -EEXIST when the object is already bound here.
    /// </summary>
    [Requires("obj.Resv")]
    [Excludes("Mutex")]
    [MightSleep]
    public int Bind(GemObject obj, out GemVma? vma)
    {
        vma = null;
        obj.Resv.AssertHeld();
        if (obj.FindVmaLocked(this) is not null)
        {
            return -Errno.EEXIST;
        }

        var ret = obj.GetBackingForBindLocked();
        if (ret != 0)
        {
            return ret;
        }

        var addresses = CollectDmaAddresses(obj);
        var stash = AllocStash(addresses.Length);
        GemVma? node = null;
        Mutex.Lock();
        if (!_closed && FindHoleLocked(addresses.Length) is { } start)
        {
            node = new GemVma(this, obj, start, addresses.Length);
            InsertPtesLocked(start, addresses, stash);
            _nodes.Add(start, node);
        }

        Mutex.Unlock();
        FreeStash(stash);
        if (node is null)
        {
            obj.PutBackingForBindLocked();
            return -Errno.ENOSPC;
        }

        obj.AddVmaLocked(node);
        vma = node;
        return 0;
    }

    /// <summary>
    /// Unbinds <paramref name="vma"/> of <paramref name="obj"/>: clears the PTEs under the mutex and drops the backing
    /// reference. Allocates nothing, so the shrinker and MMU-notifier invalidation may call it with the reservation
    /// try-locked.
    /// </summary>
    [Requires("obj.Resv")]
    [Excludes("Mutex")]
    [MightSleep]
    public void UnbindLocked(GemObject obj, GemVma vma)
    {
        obj.Resv.AssertHeld();
        if (!ReferenceEquals(vma.Obj, obj) || !ReferenceEquals(vma.Vm, this))
        {
            throw new ArgumentException("the binding does not belong to this object and address space", nameof(vma));
        }

        Mutex.Lock();
        ClearPtesLocked(vma);
        _nodes.Remove(vma.Start);
        Mutex.Unlock();
        obj.RemoveVmaLocked(vma);
        obj.PutBackingForBindLocked();
    }

    /// <summary>The GPU's view: translates a GPU virtual address into the DMA address in its PTE, or null.</summary>
    [MightSleep]
    [Excludes("Mutex")]
    public ulong? Translate(ulong gpuAddress)
    {
        using var guard = Mutex.LockScoped();
        var table = gpuAddress / TableSpan;
        if (table >= (ulong)_tables.Length || _tables[table] is not { } ptes)
        {
            return null;
        }

        var pte = ptes[(gpuAddress % TableSpan) >> Page.Shift];
        return pte == 0 ? null : pte + (gpuAddress & (Page.Size - 1));
    }

    /// <summary>Closes the address space: every binding must be gone; frees the page tables.</summary>
    [MightSleep]
    [Excludes("Mutex")]
    public int Close()
    {
        Mutex.Lock();
        if (_nodes.Count != 0)
        {
            Mutex.Unlock();
            return -Errno.EBUSY;
        }

        _closed = true;
        var storage = new List<byte[]>();
        for (var i = 0; i < _tables.Length; i++)
        {
            if (_tableStorage[i] is { } bytes)
            {
                storage.Add(bytes);
            }

            _tables[i] = null;
            _tableStorage[i] = null;
        }

        Mutex.Unlock();
        foreach (var bytes in storage)
        {
            Slab.Kfree(bytes);
        }

        return 0;
    }

    public override string ToString() => $"address space {Name}";

    /// <summary>A preallocated page table: its accounted storage and its entries.</summary>
    private readonly record struct PageTable(byte[] Storage, ulong[] Ptes);

    /// <summary>Reads the DMA address of every page of the object's mapping (one entry per page).</summary>
    [Requires("obj.Resv")]
    private static ulong[] CollectDmaAddresses(GemObject obj)
    {
        var addresses = new ulong[obj.NumPages];
        var n = 0;
        var sgt = obj.Sgt!;
        for (var i = 0; i < sgt.Nents; i++)
        {
            var sg = sgt.Entries[i];
            for (long off = 0; off < sg.DmaLength && n < addresses.Length; off += Page.Size)
            {
                addresses[n++] = sg.DmaAddress.Value + (ulong)off;
            }
        }

        return addresses;
    }

    /// <summary><c>i915_vm_alloc_pt_stash</c>: the worst case of page tables a range of this size can need.</summary>
    [MightSleep]
    private static Stack<PageTable> AllocStash(int pages)
    {
        var stash = new Stack<PageTable>();
        var tables = (pages + PtesPerTable - 1) / PtesPerTable + 1;
        for (var i = 0; i < tables; i++)
        {
            stash.Push(new PageTable(Slab.Kzalloc(PtesPerTable * sizeof(ulong), Gfp.Kernel), new ulong[PtesPerTable]));
        }

        return stash;
    }

    private static void FreeStash(Stack<PageTable> stash)
    {
        while (stash.Count > 0)
        {
            Slab.Kfree(stash.Pop().Storage);
        }
    }

    /// <summary>First fit over the sorted bindings (<c>drm_mm_insert_node</c>).</summary>
    [Requires("Mutex")]
    private ulong? FindHoleLocked(int pages)
    {
        var length = (ulong)pages << Page.Shift;
        ulong cursor = Page.Size;
        foreach (var node in _nodes.Values)
        {
            if (node.Start >= cursor && node.Start - cursor >= length)
            {
                return cursor;
            }

            cursor = Math.Max(cursor, node.End);
        }

        return Size - cursor >= length ? cursor : null;
    }

    [Requires("Mutex")]
    private void InsertPtesLocked(ulong start, ulong[] addresses, Stack<PageTable> stash)
    {
        for (var i = 0; i < addresses.Length; i++)
        {
            var va = start + ((ulong)i << Page.Shift);
            var table = va / TableSpan;
            if (_tables[table] is null)
            {
                var pt = stash.Pop();
                _tableStorage[table] = pt.Storage;
                _tables[table] = pt.Ptes;
            }

            _tables[table]![(va % TableSpan) >> Page.Shift] = addresses[i];
        }
    }

    [Requires("Mutex")]
    private void ClearPtesLocked(GemVma vma)
    {
        for (var i = 0; i < vma.Pages; i++)
        {
            var va = vma.Start + ((ulong)i << Page.Shift);
            if (_tables[va / TableSpan] is { } ptes)
            {
                ptes[(va % TableSpan) >> Page.Shift] = 0;
            }
        }
    }
}
