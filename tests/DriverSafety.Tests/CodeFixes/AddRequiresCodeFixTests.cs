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

        public sealed class Gem
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

        public sealed class Gem
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

        public sealed class Gem
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

        public sealed class Gem
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
    /// One at a time, each fix adds the lock of the diagnostic it fixes (so Both gets two attributes); Fix All gathers
    /// every lock a method needs into one attribute.
    /// </summary>
    [Fact]
    public Task FixAll_adds_one_attribute_per_method_with_every_lock_it_needs() => Verify.CodeFix(
        """
        using DriverSafety;

        public sealed class Gem
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

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            public DmaResv Resv = new DmaResv();
            [GuardedBy("Lock")] public int Pages;
            [GuardedBy("Resv")] public int Fences;

            [Requires("Resv")]
            [Requires("Lock")]
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
            FixAllResult = """
                using DriverSafety;

                public sealed class Gem
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
            NumberOfFixAllIterations = 1,
        });

    /// <summary>Two documents of one project: Fix All in document scope takes one pass per document, in project scope one pass.</summary>
    [Fact]
    public Task FixAll_in_project_scope_fixes_every_document_of_the_project() => Verify.CodeFix(
        """
        using DriverSafety;

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow() { {|DRV1001:Pages|}++; }
        }
        """,
        """
        using DriverSafety;

        public sealed class Gem
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

                public static class Mapper
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

                public static class Mapper
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

        public sealed class Gem
        {
            public Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Pages;

            public void Grow() { {|DRV1001:Pages|}++; }
        }
        """,
        """
        using DriverSafety;

        public sealed class Gem
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

                public sealed class Fence
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

                public sealed class Fence
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

            public sealed class Gem
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
}
