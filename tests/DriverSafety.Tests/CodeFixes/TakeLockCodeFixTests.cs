using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV1002: "Take 'L' around this call" wraps the calling statement in the lock type's acquire and release.</summary>
public sealed class TakeLockCodeFixTests
{
    private const string EquivalenceKey = "TakeLockCodeFix";

    [Fact]
    public Task Call_without_the_lock_is_wrapped_in_lock_and_unlock() => Verify.CodeFix<TakeLockCodeFix>(
        """
        public sealed class Gem
        {
            public Mutex Lock = new Mutex();

            [Requires("obj.Lock")]
            public static void Vmap(Gem obj) { }

            public static void Map(Gem gem)
            {
                // map it
                {|DRV1002:Vmap(gem)|};
                gem.ToString();
            }
        }
        """,
        """
        public sealed class Gem
        {
            public Mutex Lock = new Mutex();

            [Requires("obj.Lock")]
            public static void Vmap(Gem obj) { }

            public static void Map(Gem gem)
            {
                // map it
                gem.Lock.Lock();
                try
                {
                    Vmap(gem);
                }
                finally
                {
                    gem.Lock.Unlock();
                }
                gem.ToString();
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Take 'gem.Lock' around this call", CodeActionEquivalenceKey = EquivalenceKey });

    /// <summary>
    /// The lock type, its acquire and release, and the callee's requirement all come from an external annotations
    /// file (the types carry no attribute): the fix reads the file as the analyzer does, so it knows how to take the lock.
    /// </summary>
    [Fact]
    public Task Contracts_from_the_external_annotations_file_are_what_the_fix_takes() => Verify.CodeFix<TakeLockCodeFix>(
        """
        public sealed class HwLock
        {
            public void Acquire() { }
            public void Release() { }
        }

        public sealed class Ring
        {
            public HwLock Lock = new HwLock();

            public static void Push(Ring ring) { }

            public static void Fill(Ring ring)
            {
                {|DRV1002:Push(ring)|};
            }
        }
        """,
        """
        public sealed class HwLock
        {
            public void Acquire() { }
            public void Release() { }
        }

        public sealed class Ring
        {
            public HwLock Lock = new HwLock();

            public static void Push(Ring ring) { }

            public static void Fill(Ring ring)
            {
                ring.Lock.Acquire();
                try
                {
                    Push(ring);
                }
                finally
                {
                    ring.Lock.Release();
                }
            }
        }
        """,
        new VerifyOptions
        {
            FixedTitle = "Take 'ring.Lock' around this call",
            CodeActionEquivalenceKey = EquivalenceKey,
            AdditionalFiles = new[] { ("/0/DriverSafety.Annotations.txt", """
                T:HwLock [LockType(LockKind.Spinning)]
                M:HwLock.Acquire [Acquires]
                M:HwLock.Release [Releases]
                M:Ring.Push(Ring) [Requires("ring.Lock")]
                """) },
        });

    /// <summary>A declaration is split so its local stays in scope after the try; a return is wrapped as it is.</summary>
    [Fact]
    public Task A_declared_result_is_declared_before_the_lock() => Verify.CodeFix<TakeLockCodeFix>(
        """
        internal sealed class Gem
        {
            public SpinLock Lock = new SpinLock();

            [Requires("Lock")]
            public byte[] Vmap() => new byte[1];

            public int Size()
            {
                var map = {|DRV1002:Vmap()|};
                return map.Length;
            }

            public byte[] Map() => Twice();

            private byte[] Twice()
            {
                return {|DRV1002:Vmap()|};
            }
        }
        """,
        """
        internal sealed class Gem
        {
            public SpinLock Lock = new SpinLock();

            [Requires("Lock")]
            public byte[] Vmap() => new byte[1];

            public int Size()
            {
                byte[] map;
                Lock.Lock();
                try
                {
                    map = Vmap();
                }
                finally
                {
                    Lock.Unlock();
                }
                return map.Length;
            }

            public byte[] Map() => Twice();

            private byte[] Twice()
            {
                Lock.Lock();
                try
                {
                    return Vmap();
                }
                finally
                {
                    Lock.Unlock();
                }
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = EquivalenceKey });

    /// <summary>
    /// Nothing where taking the lock is not the fix or cannot be written: a try-only lock (DmaResv.Lock needs an acquire
    /// context), a lock held shared (taking it again deadlocks), a lock the caller cannot name (a private field of
    /// another type), a method converted to a delegate (the call happens later).
    /// </summary>
    [Fact]
    public Task No_fix_where_the_lock_cannot_be_taken_here()
    {
        const string source = """
            internal sealed class Gem
            {
                public DmaResv Resv = new DmaResv();
                public RwSemaphore Sem = new RwSemaphore();
                private Mutex _hidden = new Mutex();

                [Requires("obj.Resv")]
                public static void Vmap(Gem obj) { }

                [Requires("Sem")]
                public void Write() { }

                [Requires("obj._hidden")]
                public static void Secret(Gem obj) { }

                [Requires("Sem")]
                public void Flush() { }

                public static void Map(Gem gem) { {|DRV1002:Vmap(gem)|}; }

                public void Update()
                {
                    {|#1:Sem.DownRead()|};
                    {|#0:Write()|};
                    Sem.UpRead();
                }

                public Action Later() => {|DRV1002:Flush|};
            }

            internal static class Outside
            {
                public static void Peek(Gem gem) { {|DRV1002:Gem.Secret(gem)|}; }
            }
            """;
        return Verify.CodeFix<TakeLockCodeFix>(source, source,
            Verify.Diagnostic("DRV1002").WithLocation(0).WithLocation(1));
    }

    /// <summary>Fix All in document, project and solution scope: each call of each document and project gets its own acquire and release.</summary>
    [Fact]
    public Task FixAll_takes_the_lock_around_every_call() => Verify.CodeFix<TakeLockCodeFix>(
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();

            [Requires("Lock")]
            public void Pin() { }

            public void Both()
            {
                {|DRV1002:Pin()|};
                {|DRV1002:Pin()|};
            }
        }
        """,
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();

            [Requires("Lock")]
            public void Pin() { }

            public void Both()
            {
                Lock.Lock();
                try
                {
                    Pin();
                }
                finally
                {
                    Lock.Unlock();
                }
                Lock.Lock();
                try
                {
                    Pin();
                }
                finally
                {
                    Lock.Unlock();
                }
            }
        }
        """,
        new VerifyOptions
        {
            OtherProjectDocuments = new[]
            {
                """
                internal sealed class Fence
                {
                    public SpinLock Lock = new SpinLock();

                    [Requires("Lock")]
                    public void Signal() { }

                    public void Done(bool ok)
                    {
                        if (ok)
                            {|DRV1002:Signal()|};
                    }
                }
                """,
            },
            FixedOtherProjectDocuments = new[]
            {
                """
                internal sealed class Fence
                {
                    public SpinLock Lock = new SpinLock();

                    [Requires("Lock")]
                    public void Signal() { }

                    public void Done(bool ok)
                    {
                        if (ok)
                        {
                            Lock.Lock();
                            try
                            {
                                Signal();
                            }
                            finally
                            {
                                Lock.Unlock();
                            }
                        }
                    }
                }
                """,
            },
            CodeActionEquivalenceKey = EquivalenceKey,
            NumberOfFixAllInDocumentIterations = 2,
            NumberOfFixAllInProjectIterations = 2,
            NumberOfFixAllIterations = 1,
        });
}
