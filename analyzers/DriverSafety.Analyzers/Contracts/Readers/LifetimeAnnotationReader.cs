using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>
    /// The lifetime family's annotations (SPEC §3.3): resource and state names, targets, <c>While</c> locks, handles,
    /// <c>CheckedBy</c> methods and <c>Match</c> parameters.
    /// </summary>
    internal sealed class LifetimeAnnotationReader : AnnotationReader
    {
        public LifetimeAnnotationReader(KnownSymbols known, LockExpressionResolver resolver)
            : base(known, resolver)
        {
        }

        public override bool Reads(Annotation attribute) =>
            KnownSymbols.Is(attribute, Known.Begins) || KnownSymbols.Is(attribute, Known.Ends) || KnownSymbols.Is(attribute, Known.RequiresState) ||
            KnownSymbols.Is(attribute, Known.RequiresNotState) || KnownSymbols.Is(attribute, Known.EnsuresState) ||
            KnownSymbols.Is(attribute, Known.EnsuresNotState) || KnownSymbols.Is(attribute, Known.StateTest) || KnownSymbols.Is(attribute, Known.NoReassign);

        public override void Read(Annotation attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            var name = attribute.AttributeClass!.Name.Replace("Attribute", string.Empty);
            if (KnownSymbols.Is(attribute, Known.NoReassign))
            {
                into.NoReassign = true;
                return;
            }

            var isBegins = KnownSymbols.Is(attribute, Known.Begins);
            var isEnds = KnownSymbols.Is(attribute, Known.Ends);
            var isEnsures = KnownSymbols.Is(attribute, Known.EnsuresState) || KnownSymbols.Is(attribute, Known.EnsuresNotState);
            var isRequires = KnownSymbols.Is(attribute, Known.RequiresState) || KnownSymbols.Is(attribute, Known.RequiresNotState);
            var isTest = KnownSymbols.Is(attribute, Known.StateTest);
            if (!(isBegins || isEnds || isEnsures || isRequires || isTest) || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var subject = attribute.ConstructorArguments[0].Value as string;
            if (string.IsNullOrWhiteSpace(subject))
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on '{symbol.Name}' names no {(isBegins || isEnds ? "resource" : "state")}");
                return;
            }

            var target = Named(attribute, "Target") ?? "this";
            var targetExpr = Resolver.Resolve(target, symbol, requireLock: false, allowReturn: isBegins || isEnsures, out var problem, out var detail, attribute.ApplicationSyntaxReference);
            if (targetExpr is null)
            {
                Report(problems, Kind(problem), attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': target {AsTarget(detail)}");
            }

            var valid = targetExpr is not null;
            if (isTest)
            {
                if (!IsStateTestMember(symbol))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': a state test is a bool field, property or method, or a reference-typed field or property");
                    valid = false;
                }

                if (valid && symbol.IsStatic)
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': a state test must be an instance member (its target is relative to the owner)");
                    valid = false;
                }

                if (valid)
                {
                    into.Lifetimes = into.Lifetimes.Add(Clause(LifetimeClauseKind.StateTest, subject!, targetExpr!, attribute));
                }

                return;
            }

            if (symbol is not IMethodSymbol method)
            {
                return;
            }

            LockExpr? whileExpr = null;
            if (isBegins && Named(attribute, "While") is { } whileLock)
            {
                whileExpr = Resolver.Resolve(whileLock, symbol, requireLock: true, allowReturn: false, out problem, out detail, attribute.ApplicationSyntaxReference);
                if (whileExpr is null)
                {
                    Report(problems, Kind(problem), attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': While: {detail}");
                    valid = false;
                }
            }

            var handle = isBegins ? Named(attribute, "Handle") : null;
            if (handle is not null && !CheckHandle(attribute, method, name, subject!, handle, problems))
            {
                valid = false;
            }

            IMethodSymbol? checkedByMethod = null;
            if (isBegins && Named(attribute, "CheckedBy") is { } checkedBy)
            {
                checkedByMethod = FindMethod(method, checkedBy, attribute.ApplicationSyntaxReference);
                if (checkedByMethod is null)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': CheckedBy '{checkedBy}' names no method of '{method.ContainingType?.Name}' or 'Type.Method'");
                    valid = false;
                }
                else if (!checkedByMethod.IsStatic || checkedByMethod.ReturnType.SpecialType is not (SpecialType.System_Boolean or SpecialType.System_Int32))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': CheckedBy '{checkedBy}' must be a static method returning bool (true: the mapping failed) or int (non-zero: failed)");
                    valid = false;
                }
                else if (handle is null)
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': CheckedBy needs a Handle to check");
                    valid = false;
                }
            }

            var when = isBegins && NamedArgument(attribute, "When") is int whenValue && whenValue >= 0 && whenValue <= (int)BeginWhen.NonNull ? (BeginWhen)whenValue : BeginWhen.Any;
            if (when != BeginWhen.Any && !ResultFits(method.ReturnType, when))
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': When = ReturnIs.{when} does not fit its result type '{method.ReturnType.ToDisplayString()}'");
                valid = false;
            }

            var match = ImmutableArray<string>.Empty;
            if (isEnds && Named(attribute, "Match") is { } matchText)
            {
                foreach (var parameter in matchText.Split(',').Select(p => p.Trim()))
                {
                    if (!method.Parameters.Any(p => p.Name == parameter))
                    {
                        Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': Match names '{parameter}', which is not a parameter of '{method.Name}'");
                        valid = false;
                    }
                    else
                    {
                        match = match.Add(parameter);
                    }
                }
            }

            if (!valid)
            {
                return;
            }

            var kind = isBegins ? LifetimeClauseKind.Begins
                : isEnds ? LifetimeClauseKind.Ends
                : KnownSymbols.Is(attribute, Known.RequiresState) ? LifetimeClauseKind.RequiresState
                : KnownSymbols.Is(attribute, Known.RequiresNotState) ? LifetimeClauseKind.RequiresNotState
                : KnownSymbols.Is(attribute, Known.EnsuresState) ? LifetimeClauseKind.EnsuresState
                : LifetimeClauseKind.EnsuresNotState;
            into.Lifetimes = into.Lifetimes.Add(new LifetimeClause(kind, subject!, targetExpr!, whileExpr, NamedBool(attribute, "Scoped"), NamedBool(attribute, "Counted"),
                when, handle, checkedByMethod, match, AttributeLocation(attribute)));
        }

        private static LifetimeClause Clause(LifetimeClauseKind kind, string subject, LockExpr target, Annotation attribute) =>
            new LifetimeClause(kind, subject, target, null, false, false, BeginWhen.Any, null, null, ImmutableArray<string>.Empty, AttributeLocation(attribute));

        private static Location? AttributeLocation(Annotation attribute) => attribute.Location;

        private static bool IsStateTestMember(ISymbol symbol) => symbol switch
        {
            IFieldSymbol field => field.Type.SpecialType == SpecialType.System_Boolean || field.Type.IsReferenceType || IsNullableValue(field.Type),
            IPropertySymbol property => property.Parameters.IsEmpty && (property.Type.SpecialType == SpecialType.System_Boolean || property.Type.IsReferenceType || IsNullableValue(property.Type)),
            IMethodSymbol method => method.ReturnType.SpecialType == SpecialType.System_Boolean && method.MethodKind == MethodKind.Ordinary,
            _ => false,
        };

        private static bool IsNullableValue(ITypeSymbol type) => type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

        private static bool ResultFits(ITypeSymbol type, BeginWhen when) => when switch
        {
            BeginWhen.True or BeginWhen.False => type.SpecialType == SpecialType.System_Boolean,
            BeginWhen.Zero or BeginWhen.NonZero => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_UInt64
                or SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Byte or SpecialType.System_SByte || type.TypeKind == TypeKind.Enum,
            _ => type.IsReferenceType || IsNullableValue(type),
        };

        private static bool CheckHandle(Annotation attribute, IMethodSymbol method, string name, string subject, string handle, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (handle == "return")
            {
                if (method.ReturnsVoid)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle 'return' names nothing: the method returns void");
                    return false;
                }

                return true;
            }

            var parameter = method.Parameters.FirstOrDefault(p => p.Name == handle);
            if (parameter is null)
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle '{handle}' is neither 'return' nor a parameter");
                return false;
            }

            if (parameter.RefKind != RefKind.Out)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle '{handle}' must be an out parameter (or 'return')");
                return false;
            }

            return true;
        }

        private IMethodSymbol? FindMethod(IMethodSymbol method, string name, SyntaxReference? at)
        {
            var dot = name.LastIndexOf('.');
            if (dot < 0)
            {
                for (var type = method.ContainingType; type is not null; type = type.BaseType)
                {
                    if (type.GetMembers(name).OfType<IMethodSymbol>().FirstOrDefault() is { } found)
                    {
                        return found;
                    }
                }

                return null;
            }

            var typeName = name.Substring(0, dot);
            var owner = Resolver.ResolveType(typeName, method, at);
            return owner?.GetMembers(name.Substring(dot + 1)).OfType<IMethodSymbol>().FirstOrDefault();
        }

        /// <summary>The resolver's words about a lock expression, said of a target (every mention, not only the first).</summary>
        private static string AsTarget(string detail) => detail
            .Replace("a lock expression is a path", "a target is a path")
            .Replace("an empty lock expression names no lock", "is empty")
            .Replace("a null lock expression names no lock", "is null")
            .Replace("lock expression ", string.Empty)
            .Replace("'this' in 'this' ", "'this' ")
            .Trim();
    }
}
