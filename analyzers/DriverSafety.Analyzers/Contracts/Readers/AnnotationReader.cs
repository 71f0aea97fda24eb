using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>
    /// One rule family's reader of its annotations: it recognises its attributes, turns them into contract clauses
    /// (parsed once per symbol by <see cref="ContractProvider"/>) and reports its own malformed ones as DRV9001/DRV9002.
    /// A family adds its reader to <see cref="ContractProvider"/>'s list with one line.
    /// </summary>
    internal abstract class AnnotationReader
    {
        protected AnnotationReader(KnownSymbols known, LockExpressionResolver resolver)
        {
            Known = known;
            Resolver = resolver;
        }

        protected KnownSymbols Known { get; }
        protected LockExpressionResolver Resolver { get; }

        /// <summary>True for the attributes this family reads.</summary>
        public abstract bool Reads(Annotation attribute);

        /// <summary>Reads one of this family's attributes on <paramref name="symbol"/> into <paramref name="into"/>.</summary>
        public abstract void Read(Annotation attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems);

        /// <summary>Checks this family's attributes on the parameters of <paramref name="method"/>.</summary>
        public virtual void ReadParameters(IMethodSymbol method, ImmutableArray<AnnotationProblem>.Builder problems)
        {
        }

        protected static bool NamedBool(Annotation attribute, string name) => NamedArgument(attribute, name) is true;

        protected static string? Named(Annotation attribute, string name) => NamedArgument(attribute, name) as string;

        protected static object? NamedArgument(Annotation attribute, string name)
        {
            foreach (var pair in attribute.NamedArguments)
            {
                if (pair.Key == name)
                {
                    return pair.Value.Value;
                }
            }

            return null;
        }

        protected static void Report(ImmutableArray<AnnotationProblem>.Builder problems, DiagnosticDescriptor descriptor, Annotation attribute, string message)
        {
            if (attribute.Location is not { } location)
            {
                return;
            }

            problems.Add(new AnnotationProblem(descriptor, location, message));
        }

        protected static DiagnosticDescriptor Kind(ProblemKind problem) =>
            problem == ProblemKind.Misapplied ? Descriptors.AnnotationMisapplied : Descriptors.AnnotationDoesNotResolve;
    }
}
