using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV9001: a misspelled lock expression gets the closest names that resolve, one action each, at most three.</summary>
public sealed class CorrectLockNameCodeFixTests
{
    [Fact]
    public Task A_misspelled_field_in_GuardedBy_gets_the_lock_field() => Verify.CodeFix<CorrectLockNameCodeFix>(
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [{|DRV9001:GuardedBy("Rsev")|}] public int Pages;
        }
        """,
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Resv")] public int Pages;
        }
        """,
        new VerifyOptions { FixedTitle = "Change 'Rsev' to 'Resv'", CodeActionEquivalenceKey = CorrectLockNameCodeFix.EquivalenceKey });

    /// <summary>A parameter differing in case, and the segment after a parameter: the segment that does not resolve is the one corrected.</summary>
    [Fact]
    public Task Parameters_and_later_segments_are_corrected() => Verify.CodeFix<CorrectLockNameCodeFix>(
        """
        internal sealed class Gem
        {
            public DmaResv Resv = new DmaResv();

            [{|DRV9001:Requires("Obj.Resv")|}]
            public static void Vmap(Gem obj) { }

            [{|DRV9001:Releases("obj.Rsv")|}]
            [NoAnalysis]
            public static void Unlock(Gem obj) { }
        }
        """,
        """
        internal sealed class Gem
        {
            public DmaResv Resv = new DmaResv();

            [Requires("obj.Resv")]
            public static void Vmap(Gem obj) { }

            [Releases("obj.Resv")]
            [NoAnalysis]
            public static void Unlock(Gem obj) { }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = CorrectLockNameCodeFix.EquivalenceKey, NumberOfFixAllIterations = 1 });

    /// <summary>Several close names: one action each, closest first (then by name); the second action applies the second.</summary>
    [Fact]
    public Task Several_candidates_are_offered_closest_first() => Verify.CodeFix<CorrectLockNameCodeFix>(
        """
        internal sealed class Dev
        {
            public Mutex LockA = new Mutex();
            public Mutex LockB = new Mutex();
            public Mutex Locks = new Mutex();
            public Mutex Other = new Mutex();

            [{|DRV9001:Excludes("Lock")|}]
            public void Probe() { }
        }
        """,
        """
        internal sealed class Dev
        {
            public Mutex LockA = new Mutex();
            public Mutex LockB = new Mutex();
            public Mutex Locks = new Mutex();
            public Mutex Other = new Mutex();

            [Excludes("LockB")]
            public void Probe() { }
        }
        """,
        new VerifyOptions { CodeActionIndex = 1, CodeActionEquivalenceKey = CorrectLockNameCodeFix.EquivalenceKey + ".2", FixedTitle = "Change 'Lock' to 'LockB'" });

    /// <summary>No name within distance 2, or only names that are not locks: nothing is offered.</summary>
    [Fact]
    public Task No_fix_without_a_close_lock_name()
    {
        const string source = """
            internal sealed class Dev
            {
                public Mutex Mutex = new Mutex();
                public int Count;

                [{|DRV9001:AssertsHeld("Semaphore")|}]
                public void Check() { }

                [{|DRV9001:Acquires("Coun")|}]
                public void Take() { }
            }
            """;
        return Verify.CodeFix<CorrectLockNameCodeFix>(source, source);
    }

    /// <summary>Fix All in document, project and solution scope applies each finding's closest name.</summary>
    [Fact]
    public Task FixAll_corrects_every_document_and_project() => Verify.CodeFix<CorrectLockNameCodeFix>(
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [{|DRV9001:GuardedBy("lock")|}] public int Pages;
            [{|DRV9001:GuardedBy("Lokc")|}] public int Fences;
        }
        """,
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Lock")] public int Fences;
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

                    [{|DRV9001:TryAcquires(true, "Lck")|}]
                    public bool TryLock() => false;
                }
                """,
            },
            FixedOtherProjectDocuments = new[]
            {
                """
                internal sealed class Fence
                {
                    public SpinLock Lock = new SpinLock();

                    [TryAcquires(true, "Lock")]
                    public bool TryLock() => false;
                }
                """,
            },
            CodeActionEquivalenceKey = CorrectLockNameCodeFix.EquivalenceKey,
            NumberOfFixAllInDocumentIterations = 2,
            NumberOfFixAllInProjectIterations = 2,
            NumberOfFixAllIterations = 1,
        });
}
