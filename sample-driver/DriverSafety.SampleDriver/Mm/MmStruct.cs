using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary>
/// <c>struct mm_struct</c>: a user address space. <see cref="MmapLock"/> protects the VMA list; the page table (and the
/// swap slots of its anonymous pages) is protected by <see cref="PageTableLock"/>, taken inside <c>mmap_lock</c>.
/// </summary>
public sealed class MmStruct
{
    /// <summary>Where <see cref="Mmap"/> starts looking for free address space.</summary>
    public const ulong MmapBase = 0x7f00_0000_0000;

    [GuardedBy("MmapLock")]
    private readonly List<Vma> _vmas = new();

    [GuardedBy("PageTableLock")]
    private readonly Dictionary<ulong, Page> _pageTable = new();

    [GuardedBy("PageTableLock")]
    private readonly Dictionary<ulong, byte[]> _swap = new();

    [GuardedBy("NotifierLock")]
    private readonly List<MmuNotifier> _notifiers = new();

    [GuardedBy("MmapLock")]
    private bool _exited;

    public MmStruct(string name = "mm")
    {
        Name = name;
        Reclaim.Track(this);
    }

    public string Name { get; }

    /// <summary><c>mmap_lock</c>: taken before the page-table lock, the notifier lock and any driver lock taken in a fault.</summary>
    [AcquiredBefore("MmStruct.PageTableLock", "MmStruct.NotifierLock")]
    public RwSemaphore MmapLock { get; } = new("MmStruct.MmapLock");

    /// <summary><c>page_table_lock</c>.</summary>
    public SpinLock PageTableLock { get; } = new("MmStruct.PageTableLock");

    /// <summary>Protects the MMU-notifier subscriptions.</summary>
    public SpinLock NotifierLock { get; } = new("MmStruct.NotifierLock");

    /// <summary>The VMAs, in address order.</summary>
    [Requires("MmapLock", Shared = true)]
    public IReadOnlyList<Vma> Vmas => _vmas.ToArray();

    /// <summary>Number of present PTEs.</summary>
    public int MappedPageCount
    {
        get
        {
            PageTableLock.Lock();
            var count = _pageTable.Count;
            PageTableLock.Unlock();
            return count;
        }
    }

    /// <summary><c>find_vma</c> restricted to a VMA that contains <paramref name="address"/> (<c>vma_lookup</c>).</summary>
    [Requires("MmapLock", Shared = true)]
    public Vma? FindVma(ulong address)
    {
        foreach (var vma in _vmas)
        {
            if (vma.Contains(address))
            {
                return vma;
            }
        }

        return null;
    }

    /// <summary>
    /// <c>vm_mmap</c>: maps <paramref name="length"/> bytes of <paramref name="file"/> (anonymous memory when null) at a
    /// free address; calls the file's <c>mmap</c> hook with <c>mmap_lock</c> held for write. Returns the address, or
    /// a negative errno.
    /// </summary>
    [MightSleep, Excludes("MmapLock")]
    public long Mmap(File? file, ulong length, ulong pgoff, VmFlags flags)
    {
        if (length == 0 || (length & (Page.Size - 1)) != 0)
        {
            return -Errno.EINVAL;
        }

        MmapLock.DownWrite();
        try
        {
            if (_exited)
            {
                return -Errno.EINVAL;
            }

            var start = GetUnmappedArea(length);
            var vma = new Vma(this, start, start + length, pgoff, flags, file);
            if (file is null)
            {
                vma.VmOps = AnonymousVmOps.Instance;
            }
            else if (file.Fops is null)
            {
                vma.Close();
                return -Errno.ENODEV;
            }
            else
            {
                // mmap_assert_write_locked(vma->vm_mm): the new VMA's mm is this one, whose lock we hold.
                vma.Mm.MmapLock.AssertWriteHeld();
                var ret = file.Fops.Mmap(file, vma);
                if (ret != 0)
                {
                    vma.Close();
                    return ret;
                }
            }

            InsertVma(vma);
            return (long)start;
        }
        finally
        {
            MmapLock.UpWrite();
        }
    }

    /// <summary><c>vm_munmap</c> of whole VMAs: zaps their pages (notifying subscribers) and closes them.</summary>
    [MightSleep, Excludes("MmapLock")]
    public int Munmap(ulong start, ulong length)
    {
        MmapLock.DownWrite();
        var victims = _vmas.Where(v => v.VmStart >= start && v.VmEnd <= start + length).ToList();
        if (victims.Count == 0)
        {
            MmapLock.UpWrite();
            return -Errno.EINVAL;
        }

        foreach (var vma in victims)
        {
            InvalidateAndZap(vma.VmStart, vma.VmEnd, blockable: true, swapOut: false, MmuNotifierEvent.Unmap);
            _vmas.Remove(vma);
            DropSwap(vma.VmStart, vma.VmEnd);
            vma.Close();
        }

        MmapLock.UpWrite();
        return 0;
    }

    /// <summary>
    /// <c>handle_mm_fault</c>: asks the VMA's fault handler for the page at <paramref name="address"/> and maps it.
    /// </summary>
    [Requires("MmapLock", Shared = true), MightSleep]
    public VmFaultResult HandleMmFault(ulong address, bool write)
    {
        var vma = FindVma(address);
        if (vma is null || vma.VmOps is null)
        {
            return VmFaultResult.SigSegv;
        }

        if (write && (vma.VmFlags & VmFlags.Write) == 0)
        {
            return VmFaultResult.SigSegv;
        }

        var vmf = new VmFault(vma, address, write);
        vmf.Vma.Mm.MmapLock.AssertHeld();
        var ret = vma.VmOps.Fault(vmf);
        if (ret == VmFaultResult.Ok)
        {
            if (vmf.Page is null)
            {
                return VmFaultResult.SigBus;
            }

            if (!InstallPte(vmf.Address, vmf.Page))
            {
                vmf.Page.Put();
            }
        }

        return ret == VmFaultResult.NoPage ? VmFaultResult.Ok : ret;
    }

    /// <summary>The page mapped at <paramref name="address"/>, without taking a reference (racy outside the locks).</summary>
    public Page? LookupPte(ulong address)
    {
        PageTableLock.Lock();
        _pageTable.TryGetValue(PageAlign(address), out var page);
        PageTableLock.Unlock();
        return page;
    }

    /// <summary>Writes through the page table like a user store would (faulting pages in); false on a bad address.</summary>
    [MightSleep, Excludes("MmapLock")]
    public bool CopyToUser(ulong address, ReadOnlySpan<byte> data)
    {
        MmapLock.DownRead();
        try
        {
            var done = 0;
            while (done < data.Length)
            {
                var addr = address + (ulong)done;
                var page = LookupPte(addr);
                if (page is null)
                {
                    if (HandleMmFault(addr, write: true) != VmFaultResult.Ok || (page = LookupPte(addr)) is null)
                    {
                        return false;
                    }
                }

                var offset = (int)(addr & (Page.Size - 1));
                var chunk = Math.Min(Page.Size - offset, data.Length - done);
                data.Slice(done, chunk).CopyTo(page.Data.AsSpan(offset, chunk));
                done += chunk;
            }

            return true;
        }
        finally
        {
            MmapLock.UpRead();
        }
    }

    /// <summary>
    /// Zaps the PTEs of <c>[start, end)</c> the way unmapping and reclaim do: every subscribed MMU notifier sees
    /// <c>invalidate_range_start</c> before and <c>invalidate_range_end</c> after. Returns 0, or <c>-EAGAIN</c> when a
    /// notifier refused a non-blockable invalidation.
    /// </summary>
    [MightSleep]
    public int InvalidateRange(ulong start, ulong end, bool blockable = true) =>
        InvalidateAndZap(start, end, blockable, swapOut: false, MmuNotifierEvent.Clear);

    /// <summary><c>mmu_notifier_register</c>: takes <c>mmap_lock</c> for write itself.</summary>
    [MightSleep, Excludes("MmapLock")]
    public int RegisterNotifier(MmuNotifier notifier)
    {
        if (notifier.Mm is not null)
        {
            return -Errno.EBUSY;
        }

        MmapLock.DownWrite();
        NotifierLock.Lock();
        _notifiers.Add(notifier);
        notifier.Mm = this;
        NotifierLock.Unlock();
        MmapLock.UpWrite();
        return 0;
    }

    /// <summary><c>mmu_notifier_unregister</c>: after it returns no callback of the notifier runs.</summary>
    [MightSleep]
    public void UnregisterNotifier(MmuNotifier notifier)
    {
        NotifierLock.Lock();
        var removed = _notifiers.Remove(notifier);
        NotifierLock.Unlock();
        if (removed)
        {
            notifier.WaitIdle();
            notifier.Mm = null;
        }
    }

    /// <summary><c>exit_mmap</c>: notifiers' release, then every VMA unmapped.</summary>
    [MightSleep, Excludes("MmapLock")]
    public void Exit()
    {
        NotifierLock.Lock();
        var notifiers = _notifiers.ToArray();
        NotifierLock.Unlock();
        foreach (var notifier in notifiers)
        {
            notifier.Release(this);
        }

        MmapLock.DownWrite();
        foreach (var vma in _vmas.ToArray())
        {
            InvalidateAndZap(vma.VmStart, vma.VmEnd, blockable: true, swapOut: false, MmuNotifierEvent.Release);
            DropSwap(vma.VmStart, vma.VmEnd);
            vma.Close();
        }

        _vmas.Clear();
        _exited = true;
        MmapLock.UpWrite();
        Reclaim.Untrack(this);
    }

    /// <summary>Pins the page mapped at <paramref name="address"/>, if any (the present-PTE step of gup).</summary>
    internal Page? PinPresent(ulong address)
    {
        PageTableLock.Lock();
        if (_pageTable.TryGetValue(PageAlign(address), out var page))
        {
            page.Pin();
        }

        PageTableLock.Unlock();
        return page;
    }

    /// <summary>Installs a PTE; false if one is already there (a racing fault won).</summary>
    internal bool InstallPte(ulong address, Page page)
    {
        PageTableLock.Lock();
        var installed = _pageTable.TryAdd(PageAlign(address), page);
        PageTableLock.Unlock();
        return installed;
    }

    /// <summary>Brings back the swapped-out contents of <paramref name="address"/> into <paramref name="page"/>.</summary>
    internal void SwapIn(ulong address, Page page)
    {
        PageTableLock.Lock();
        if (_swap.Remove(PageAlign(address), out var saved))
        {
            saved.CopyTo(page.Data, 0);
        }

        PageTableLock.Unlock();
    }

    /// <summary>
    /// Reclaim's pass over this address space: unmaps (and swaps out) up to <paramref name="max"/> anonymous pages
    /// that only the page table references and nobody pinned. Uses a trylock of <c>mmap_lock</c>: reclaim must not
    /// wait for an address space whose owner may be the one allocating.
    /// </summary>
    internal long ReclaimAnonymousPages(long max)
    {
        if (!MmapLock.DownReadTrylock())
        {
            return 0;
        }

        var anon = _vmas.Where(v => v.IsAnonymous).ToArray();
        var candidates = new List<ulong>();
        PageTableLock.Lock();
        foreach (var (address, page) in _pageTable)
        {
            if (candidates.Count >= max)
            {
                break;
            }

            if (!page.MaybeDmaPinned && page.RefCount == 1 && anon.Any(v => v.Contains(address)))
            {
                candidates.Add(address);
            }
        }

        PageTableLock.Unlock();

        long freed = 0;
        foreach (var address in candidates)
        {
            if (InvalidateAndZap(address, address + Page.Size, blockable: true, swapOut: true, MmuNotifierEvent.Unmap) == 0)
            {
                freed++;
            }
        }

        MmapLock.UpRead();
        return freed;
    }

    [Requires("MmapLock")]
    private ulong GetUnmappedArea(ulong length)
    {
        var start = MmapBase;
        foreach (var vma in _vmas)
        {
            if (start + length <= vma.VmStart)
            {
                break;
            }

            start = Math.Max(start, vma.VmEnd + Page.Size);
        }

        return start;
    }

    [Requires("MmapLock")]
    private void InsertVma(Vma vma)
    {
        var index = _vmas.FindIndex(v => v.VmStart > vma.VmStart);
        _vmas.Insert(index < 0 ? _vmas.Count : index, vma);
    }

    [MightSleep]
    private int InvalidateAndZap(ulong start, ulong end, bool blockable, bool swapOut, MmuNotifierEvent evt)
    {
        RuntimeCheck.MightSleepIf(blockable, "mmu_notifier_invalidate_range_start");
        var range = new MmuNotifierRange(this, start, end, blockable, evt);
        NotifierLock.Lock();
        var notifiers = _notifiers.ToArray();
        NotifierLock.Unlock();

        var started = new List<MmuNotifier>();
        foreach (var notifier in notifiers)
        {
            var ret = notifier.StartInvalidate(range);
            if (ret != 0)
            {
                foreach (var done in started)
                {
                    done.EndInvalidate(range);
                }

                return ret;
            }

            started.Add(notifier);
        }

        var zapped = new List<Page>();
        PageTableLock.Lock();
        for (var address = PageAlign(start); address < end; address += Page.Size)
        {
            if (_pageTable.Remove(address, out var page))
            {
                if (swapOut)
                {
                    _swap[address] = (byte[])page.Data.Clone();
                }

                zapped.Add(page);
            }
        }

        PageTableLock.Unlock();
        foreach (var page in zapped)
        {
            page.Put();
        }

        foreach (var notifier in started)
        {
            notifier.EndInvalidate(range);
        }

        return 0;
    }

    private void DropSwap(ulong start, ulong end)
    {
        PageTableLock.Lock();
        foreach (var address in _swap.Keys.Where(a => a >= start && a < end).ToArray())
        {
            _swap.Remove(address);
        }

        PageTableLock.Unlock();
    }

    private static ulong PageAlign(ulong address) => address & ~(ulong)(Page.Size - 1);

    /// <inheritdoc />
    public override string ToString() => $"mm {Name}";
}
