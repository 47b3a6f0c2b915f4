package vm

// Console protocol between the guest's /init and the host. Every line
// the guest prints for the host starts with a marker; anything else on
// the console is kernel or case output, kept for the report's tail.
const (
	// markProgress: "USDTSPEC-PROGRESS k/N name STATUS".
	markProgress = "USDTSPEC-PROGRESS "
	// markResult: "USDTSPEC-RESULT <conformance.Result as JSON>".
	markResult = "USDTSPEC-RESULT "
	// markDone: "USDTSPEC-DONE": every case ran.
	markDone = "USDTSPEC-DONE"
	// markError: "USDTSPEC-ERROR message": the guest could not run.
	markError = "USDTSPEC-ERROR "

	// guestStageEnv marks the re-executed /init (see GuestMain).
	guestStageEnv = "USDTSPEC_GUEST_STAGE"
	// casesList is where the initramfs lists its cases.
	casesList = "/cases/cases.list"
)
