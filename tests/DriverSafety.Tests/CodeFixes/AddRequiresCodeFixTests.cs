using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>
/// "Add [Requires("L")] to 'M'" for DRV1001 / DRV1002, through CSharpCodeFixTest: every test applies the fix one
/// diagnostic at a time and also runs Fix All in document, project and solution scope against the expected result.
/// </summary>
public sealed class AddRequiresCodeFixTests
{
    private const string EquivalenceKey = "AddRequiresCodeFix";

    [Fact]
    public Task Guarded_write_without_the_lock_gets_a_Requires_contract() => Verify.CodeFix(
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow()
            {
                {|DRV1001:Pages|}++;
            }
        }
        """,
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            [Requires("Lock")]
            public void Grow()
            {
                Pages++;
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Add [Requires(\"Lock\")] to 'Grow'", CodeActionEquivalenceKey = EquivalenceKey });

    [Fact]
    public Task Required_lock_of_a_parameter_is_named_by_the_parameter() => Verify.CodeFix(
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public DmaResv Resv = new DmaResv();

            [Requires("obj.Resv")]
            public static void Vmap(Gem obj) { }

            /// <summary>Maps the object.</summary>
            public static void MapIt(Gem gem)
            {
                {|DRV1002:Vmap(gem)|};
            }
        }
        """,
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public DmaResv Resv = new DmaResv();

            [Requires("obj.Resv")]
            public static void Vmap(Gem obj) { }

            /// <summary>Maps the object.</summary>
            [Requires("gem.Resv")]
            public static void MapIt(Gem gem)
            {
                Vmap(gem);
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Add [Requires(\"gem.Resv\")] to 'MapIt'" });

    /// <summary>
    /// One at a time, the second fix extends the attribute the first one wrote; Fix All writes one attribute per method
    /// with every lock it needs, in the order the findings come: both reach the same text.
    /// </summary>
    [Fact]
    public Task FixAll_adds_one_attribute_per_method_with_every_lock_it_needs() => Verify.CodeFix(
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            public void Both()
            {
                {|DRV1001:Pages|}++;
                {|DRV1001:Fences|} = {|DRV1001:Pages|};
            }

            public int Read() => {|DRV1001:Pages|};
        }
        """,
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            [Requires("Lock", "Resv")]
            public void Both()
            {
                Pages++;
                Fences = Pages;
            }

            [Requires("Lock")]
            public int Read() => Pages;
        }
        """,
        new VerifyOptions
        {
            CodeActionEquivalenceKey = EquivalenceKey,
            NumberOfFixAllIterations = 1,
        });

    /// <summary>Two documents of one project: Fix All in document scope takes one pass per document, in project scope one pass.</summary>
    [Fact]
    public Task FixAll_in_project_scope_fixes_every_document_of_the_project() => Verify.CodeFix(
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow() { {|DRV1001:Pages|}++; }
        }
        """,
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            [Requires("Lock")]
            public void Grow() { Pages++; }
        }
        """,
        new VerifyOptions
        {
            ExtraDocuments = new[]
            {
                """
                using DriverSafety;

                internal static class Mapper
                {
                    public static void Map(Gem gem)
                    {
                        {|DRV1001:gem.Pages|} = 0;
                    }
                }
                """,
            },
            FixedExtraDocuments = new[]
            {
                """
                using DriverSafety;

                internal static class Mapper
                {
                    [Requires("gem.Lock")]
                    public static void Map(Gem gem)
                    {
                        gem.Pages = 0;
                    }
                }
                """,
            },
            CodeActionEquivalenceKey = EquivalenceKey,
            NumberOfFixAllInDocumentIterations = 2,
            NumberOfFixAllInProjectIterations = 1,
            NumberOfFixAllIterations = 1,
        });

    /// <summary>Two projects: Fix All in project scope takes one pass per project, in solution scope one pass for both.</summary>
    [Fact]
    public Task FixAll_in_solution_scope_fixes_every_project() => Verify.CodeFix(
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow() { {|DRV1001:Pages|}++; }
        }
        """,
        """
        using DriverSafety;

        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            [Requires("Lock")]
            public void Grow() { Pages++; }
        }
        """,
        new VerifyOptions
        {
            OtherProjectDocuments = new[]
            {
                """
                using DriverSafety;

                internal sealed class Fence
                {
                    public SpinLock Lock = new SpinLock();
                    [GuardedBy("Lock")] public int Seqno;

                    public int Next() => {|DRV1001:Seqno|} + 1;
                }
                """,
            },
            FixedOtherProjectDocuments = new[]
            {
                """
                using DriverSafety;

                internal sealed class Fence
                {
                    public SpinLock Lock = new SpinLock();
                    [GuardedBy("Lock")] public int Seqno;

                    [Requires("Lock")]
                    public int Next() => Seqno + 1;
                }
                """,
            },
            CodeActionEquivalenceKey = EquivalenceKey,
            NumberOfFixAllInDocumentIterations = 2,
            NumberOfFixAllInProjectIterations = 2,
            NumberOfFixAllIterations = 1,
        });

    /// <summary>A diagnostic inside a lambda, or on a lock named through a local, offers no fix: the code stays as it is.</summary>
    [Fact]
    public Task No_fix_inside_a_lambda_or_for_a_lock_named_by_a_local()
    {
        const string source = """
            using System;
            using DriverSafety;

            internal sealed class Gem
            {
                public Mutex Lock = new Mutex();
                [GuardedBy("Lock")] public int Pages;

                public Action Later() => () => {|DRV1001:Pages|}++;

                public void Local()
                {
                    var other = new Gem();
                    {|DRV1001:other.Pages|} = 1;
                }
            }
            """;
        return Verify.CodeFix(source, source);
    }

    /// <summary>An existing exclusive [Requires] is extended with the lock, never joined by a second attribute.</summary>
    [Fact]
    public Task An_existing_Requires_is_extended() => Verify.CodeFix(
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            [Requires("Lock")]
            public void Both()
            {
                Pages++;
                {|DRV1001:Fences|} = Pages;
            }
        }
        """,
        """
        internal sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            [Requires("Lock", "Resv")]
            public void Both()
            {
                Pages++;
                Fences = Pages;
            }
        }
        """,
        new VerifyOptions { FixedTitle = "Add [Requires(\"Resv\")] to 'Both'", CodeActionEquivalenceKey = EquivalenceKey });

    /// <summary>An internal method of a public type has all its callers in the compilation: the fix is offered.</summary>
    [Fact]
    public Task An_internal_method_of_a_public_type_gets_the_contract() => Verify.CodeFix(
        """
        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            internal void Grow() { {|DRV1001:Pages|}++; }
        }
        """,
        """
        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            [Requires("Lock")]
            internal void Grow() { Pages++; }
        }
        """);

    /// <summary>
    /// Not where the method's own body takes the lock, directly or through a helper: with the contract, that acquire
    /// would be a DRV1005 (a self-deadlock) in the method.
    /// </summary>
    [Fact]
    public Task No_fix_where_the_body_takes_the_lock_itself_or_through_a_helper()
    {
        const string source = """
            internal sealed class Gem
            {
                public Mutex Lock = new Mutex();
                [GuardedBy("Lock")] public int Pages;

                public void Grow()
                {
                    Lock.Lock();
                    Pages++;
                    Lock.Unlock();
                    {|DRV1001:Pages|} = 0;
                }

                public void Reset()
                {
                    Touch();
                    {|DRV1001:Pages|} = 0;
                }

                private void Touch()
                {
                    Lock.Lock();
                    Pages++;
                    Lock.Unlock();
                }
            }
            """;
        return Verify.CodeFix(source, source);
    }

    /// <summary>Not on a method visible outside the assembly (public, or protected, in a public type): its callers are not in the compilation.</summary>
    [Fact]
    public Task No_fix_on_a_method_visible_outside_the_assembly()
    {
        const string source = """
            public class Gem
            {
                public Mutex Lock = new Mutex();
                [GuardedBy("Lock")] public int Pages;

                public void Grow() { {|DRV1001:Pages|}++; }

                protected void Shrink() { {|DRV1001:Pages|}--; }

                public sealed class Nested
                {
                    public static void Clear(Gem gem) { {|DRV1001:gem.Pages|} = 0; }
                }
            }
            """;
        return Verify.CodeFix(source, source);
    }

    /// <summary>Not on a method converted to a delegate anywhere in the solution: whoever invokes the delegate calls it without the lock.</summary>
    [Fact]
    public Task No_fix_on_a_method_converted_to_a_delegate_elsewhere_in_the_solution()
    {
        const string source = """
            internal sealed class Gem
            {
                public Mutex Lock = new Mutex();
                [GuardedBy("Lock")] public int Pages;

                internal void Grow() { {|DRV1001:Pages|}++; }
            }
            """;
        return Verify.CodeFix(source, source, new VerifyOptions
        {
            ExtraDocuments = new[]
            {
                """
                internal static class Work
                {
                    public static Action Later(Gem gem) => gem.Grow;
                }
                """,
            },
        });
    }

    /// <summary>Not on callbacks the kernel invokes (an IRQ handler, a reclaim callback), nor on an interface implementation whose callers bind to the interface.</summary>
    [Fact]
    public Task No_fix_on_callbacks_or_interface_implementations()
    {
        const string source = """
            internal interface IGemOps
            {
                void Free();
            }

            internal sealed class Gem : IGemOps
            {
                public SpinLock Lock = new SpinLock();
                [GuardedBy("Lock")] public int Pages;

                [AtomicContext(IrqsOff = true)]
                internal void OnIrq() { {|DRV1001:Pages|}++; }

                [ReclaimContext]
                internal void Shrink() { {|DRV1001:Pages|}--; }

                public void Free() { {|DRV1001:Pages|} = 0; }
            }
            """;
        return Verify.CodeFix(source, source);
    }

    /// <summary>
    /// Not on a shared/exclusive mismatch: the method holds the lock shared (here by its own contract) and writes; the
    /// fix is an exclusive hold, not a second contract.
    /// </summary>
    [Fact]
    public Task No_fix_on_a_write_under_a_shared_hold()
    {
        const string source = """
            internal sealed class Gem
            {
                public RwSemaphore Sem = new RwSemaphore();
                [GuardedBy("Sem")] public int Pages;

                [Requires("Sem", Shared = true)]
                internal void Grow() { {|#0:Pages|}++; }
            }
            """;
        return Verify.CodeFix(source, source,
            Verify.Diagnostic("DRV1001").WithLocation(0).WithMessage("Write of 'Pages' requires lock 'Sem' held exclusively (it is held shared)"));
    }
}
