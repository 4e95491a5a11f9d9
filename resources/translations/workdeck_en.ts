<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>App</name>
    <message>
        <source>Manifest: {message}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChainPicker</name>
    <message>
        <source>type a task&apos;s name to run after it</source>
        <extracomment>How many candidate parents the picker offers (newest first): a chain is built from recent work, and a combo box of 100,000 entries helps nobody.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run after: find a task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type part of a task&apos;s name, command or id and press Add</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add to run after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This task waits for the task found above</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs after these tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The tasks that must succeed before this one runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from run after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This task no longer waits for the selected task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(deleted task)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Classify</name>
    <message>
        <source>Must it happen at an exact time, like an alarm?</source>
        <extracomment>The questions, asked in this order until the answers decide.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Should it start right away?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Must it keep going if you close this window, quit Workdeck or restart the computer?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>now, while this window is open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>now, and keep going</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at a set time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>later, in the queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It must happen at a set time, so it is an alarm that goes off then, even with the window closed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It can wait, so it joins the queue and runs when its time and conditions come, even after a restart.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It starts at once and keeps going when you close the window, and resumes after a quit or a restart.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It belongs to this window, so it starts at once and stops when you close the window (to the tray too).</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DecisionPage</name>
    <message>
        <source>Answer a few questions and Workdeck picks the right kind of work.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{number}. {question}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{question} Yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{question} No</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer yes to question {number}; arrow keys choose the other answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer no to question {number}; arrow keys choose the other answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The kind picked and why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Which kind of work your answers lead to, and why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{kind}.&lt;/b&gt; {reason}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DesktopShell</name>
    <message>
        <source>Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New reminder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause deferred work</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deferred work paused or running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume deferred work</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deferred work paused</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DetailsPane</name>
    <message>
        <source>Task details</source>
        <extracomment>A run column&apos;s room beside its words: the view&apos;s margins either side, and a little air. A parent or child link was clicked: select that task.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The selected task: what it is, why it waits, its output, runs and spec.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No task selected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name of the selected task, or what it runs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task id, kind and state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its id, kind of work, state, attempts and next run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why it waits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the task is waiting for before it can run.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs after and before</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The tasks this one waits for and the tasks that wait for it; each name is a link that selects it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How far the running task has come, as it reports it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task details tabs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output of the latest run, every run, and the task&apos;s spec.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task spec</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Everything the task was created with, in plain words.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every run of the task, newest first: when, how long, how it ended and its exit code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output of the latest run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the latest run printed, as it prints it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spec</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a task in the table or on the timeline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{id} · {kind} · {state} · attempts {attempts}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · next run {when}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>for the tasks it runs after to succeed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{why}; Workdeck skips this task (export keeps its row)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs after: {tasks}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Then runs: {tasks}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{id} (deleted)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} (if a task with this name exists: {policy})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>first due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>every {span}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>repeats</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>only when</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>once, after {span}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} times, first after {span}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, then {growth}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retry after failure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>timeout</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>if missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{policy} (up to {span} late)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>input</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>output</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EmptyState</name>
    <message>
        <source>Getting started</source>
        <extracomment>The widest the introduction&apos;s lines get, in pixels: a readable measure, however wide the window.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h2&gt;Nothing scheduled yet&lt;/h2&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck runs your background work without getting in your way: now, later when the time and conditions are right, or at an exact time with a reminder. Everything it runs will appear on a live timeline in this window. Press Ctrl+N to be asked a few questions, or pick the kind here:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run something now…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A command that starts at once and keeps going in the background</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queue something for later…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Work that waits for a delay, a repeat or conditions such as mains power</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set an alarm or reminder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something that must happen at an exact time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add example tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adds one harmless task of each kind; Help ▸ Remove example tasks takes them away</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Examples</name>
    <message>
        <source>Example: how long this computer has been up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Example: free disk space, every day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stand up and stretch (an example reminder)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Example: a reminder in 30 minutes</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Log</name>
    <message>
        <source>Open log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open {file}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Workdeck</source>
        <extracomment>The smallest the window may be: a 640x480 screen&apos;s worth, less the desktop&apos;s panels.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every task: its name, kind, state, next run and last outcome (in words, with an icon). Select one to see its details.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search name, command, id or tag (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show only tasks of one kind, in the table and on the timeline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show only tasks in one state, in the table and on the timeline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All states</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by tag</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show only tasks with one tag, in the table and on the timeline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running tasks</source>
        <extracomment>The panes F6 cycles through (Shift+F6 backwards), as in GTK and KDE applications.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next alarm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Visible or background</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All tags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>next alarm {when} ({relative})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no alarms set</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NewReminderDialog</name>
    <message>
        <source>New reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What should Workdeck remind you of?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remind me of</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Write what the reminder should say.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a time in the future.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NewTaskDialog</name>
    <message>
        <source>New task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicate task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Task details form</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The fields of the task: what it runs, when, and under which conditions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to the questions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On to the task&apos;s details (Return)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the changes (Return)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create the task (Return)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close without creating anything (Escape)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Refusals</name>
    <message>
        <source>“{text}” is not a length of time: write a number and a unit (ms, s, m, h, d), e.g. 90s or 1h30m</source>
        <extracomment>(what the engine says, as a regex with named groups; what the form says, a template).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“{text}” is too long: at most 100 years</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That is too long: at most 100 years</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A length of time here must be more than zero</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A length of time here must not be negative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>“{text}” is not a cron rule: five fields (minute hour day month weekday), e.g. 0 8 * * 1-5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{time} has passed (it is {now}): choose a later time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The repeat rule never happens again: check when it ends</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat every {least} or more, not every {given}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A shell task needs a command: fill in Program</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill in Function as package.module:function</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A reminder needs a message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A name must not be only spaces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run after: task {id} no longer exists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run after: task {id} repeats and never finishes; choose one-time work</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run after: a task cannot wait for itself</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run after: task {id} already waits for this one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeating work cannot run after a task of the same name: choose keep it, replace it or update it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A text here contains a NUL character: remove it</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReminderPresenter</name>
    <message>
        <source>Missed reminder</source>
        <extracomment>Notify&apos;s argument types as the spec gives them: app_name, replaces_id (u), app_icon, summary, body, actions (as), hints (a{sv}), expire_timeout (i). NotificationClosed reasons (the spec): 1 expired, 2 closed by the user, 3 by a call. A blocking call to the notification server is bounded: it answers in milliseconds, and a hung server must not freeze the window for the default 25 s. How long the tray&apos;s own message (the fallback without a server) stays: it must not sit over the tray icon or the window&apos;s buttons; the reminder stays in the missed list. Reminders nobody answered, when the engine has no missed list of its own.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snooze {n} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck: {title}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReminderWindow</name>
    <message>
        <source>Workdeck reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snooze</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snooze until</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminder 1 of {n}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no message)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>due {when}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a time in the future to snooze until.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemindersDock</name>
    <message>
        <source>Reminders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unanswered reminders: snooze, dismiss or open them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminders ({n})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemindersView</name>
    <message>
        <source>Unanswered reminders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Snooze {n} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the reminder&apos;s task in the window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{status} ({detail})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(no message)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 unanswered reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} unanswered reminders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No unanswered reminders: everything was snoozed or dismissed.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RunHistoryModel</name>
    <message>
        <source>Started</source>
        <extracomment>Column titles (translated in headerData).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop reason</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Note</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Workdeck settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start Workdeck in the tray when I log in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closing the window keeps Workdeck running in the tray</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Desktop notification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tray message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck&apos;s reminder window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminders as</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default snooze</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deferred work at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Data location</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TakeOver</name>
    <message>
        <source>Workdeck is running in the background</source>
        <extracomment>serve stops gracefully (engine.stop waits up to 10 s for running work): wait a little longer.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck is already running without a window (workdeck serve, pid {pid}) and owns this database.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take over to run Workdeck in this window instead: the background instance stops, and tasks it was running are stopped and resumed here. Or quit and leave it running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take over</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TaskCommands</name>
    <message>
        <source>{what}: {problem}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>add examples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>remove examples</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 example task removed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} example tasks removed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{task} is {state}: nothing to start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>run now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{task} could not be started now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{task} is running. Stop it and cancel it?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It will not run again unless you retry it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop and cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete {task} and its history of runs and output?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This cannot be undone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>retry</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TaskForm</name>
    <message>
        <source>Command</source>
        <extracomment>Scoped immediate work is enqueued as immediate work with this tag; the window that launched it cancels it when it closes.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Python callable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reminder message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Does not repeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every (interval)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cron expression</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What it runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Work type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the task does: run a program, call Python, show a reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a program file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pick the program to run from a file dialog</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Program</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The program to run: a path or a name on PATH</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>one argument per line, no shell quoting needed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Arguments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One argument per line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Command preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The command exactly as it will run, program and arguments</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Callable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The words the reminder shows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alarm time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The local date and time the alarm fires</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 10m or 1h30m; empty: as soon as possible</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How long to wait before it may run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Whether and how the task repeats</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>An interval such as 1h, or a cron expression</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>If the computer was off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>If the alarm was missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What happens to alarm times that passed while Workdeck was not running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only when: {condition}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The task runs only while this holds, and waits otherwise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only when</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> times</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry after failure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many times a failed run is tried again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First wait before a retry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How long to wait before the first retry, e.g. 30s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>then</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the wait grows between retries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Each later retry waits a little longer, or twice as long</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wait before retrying</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty: no limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop a run after this long; it counts as a failure</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name and tags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional; one task per name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Optional. Only one waiting task may have a name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>If a task with this name exists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What to do when a waiting task already has this name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>comma separated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tags</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Words to find and filter the task by, separated by commas</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Validation message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conditions and retries</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What must change before the task can be created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retries and limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 1h or 1d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. 0 8 * * 1-5</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a program</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give the repeat interval, e.g. 1h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>give the cron expression, e.g. 0 8 * * 1-5</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TaskTableModel</name>
    <message>
        <source>Name</source>
        <extracomment>Data roles beyond Qt&apos;s own. Column titles (translated in headerData).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last outcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{runs} ({failed} failed)</source>
        <extracomment>Columns whose sort key is an attribute of the task: list.sort reads it in C (operator.attrgetter), no Python call per row. Runs sort by how many ever ended. Longest a change waits before the views see it: ten updates a second is live to the eye (the timeline, not the table, shows motion), and under 100 ms reads as instant.
----------
A column&apos;s room beside its words: the view&apos;s margins either side, and a little air.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{runs} runs ended: {succeeded} succeeded, {failed} failed or timed out, {other} other</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>last: {outcome}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>id {id}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>defined by the manifest: change it there</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <source>Immediate</source>
        <extracomment>The lanes&apos; titles (translated when the rows are built).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deferred</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exact</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{lane} ({count} hidden)</source>
        <extracomment>The window&apos;s search and filters: tasks it rejects are hidden (see set_filter). The view&apos;s range holds more runs than pixels: draw :attr:`density`, not bars. (instant in µs, visible?) in time order; fed by the window (later the lifecycle).
----------
While following now and not zoomed by hand, the span grows to show upcoming work. The span the user chose (or the default): what fitting upcoming work widens. Where the &quot;next: ...&quot; marker was last drawn, and the due time and task it shows. The axis labels drawn in the last paint, where and what (ui.timeline.axis). How many legend entries fitted in the last paint (the rest are left out whole).</extracomment>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TimelinePainter</name>
    <message>
        <source>visible / background</source>
        <extracomment>Tick steps in seconds: the first that leaves &gt;= 90 px between ticks is used. Pixels kept free between an axis label and the &quot;next: ...&quot; marker.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>next: {time} {title} ▸</source>
        <extracomment>Where the now-line sits while following now (fraction of the plot&apos;s width): a third of the view is the future, where alarms and waiting work are drawn. Work due further ahead than this does not widen the view; the edge marker points to it.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>queued</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>due</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>visible</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>background</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>now</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TimelineView</name>
    <message>
        <source>Timeline</source>
        <extracomment>The span while following now, unless upcoming work needs more to be in view.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Runs over time by kind of work. Ctrl+wheel or +/- zooms, drag or arrows pan, Home fits all. Failed runs carry a dark top edge, missed alarms are hatched, so no outcome is told by colour alone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt;&lt;br&gt;due {time} ({relative})&lt;br&gt;click to bring it into view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 run here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} runs here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{label}&lt;/b&gt;&lt;br&gt;{runs}, {bad} not succeeded; worst outcome: {worst}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt; — {kind} · attempt {attempt}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>missed alarm due {time}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>started {time}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ended {time}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>still running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>duration {span}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>outcome: {outcome} ({reason})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>outcome: {outcome}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{title}&lt;/b&gt;&lt;br&gt;due {time} ({relative})</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrayMenu</name>
    <message>
        <source> (missed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show Workdeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next alarms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No unanswered reminders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All reminders…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause deferred work</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New reminder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running ({n})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No alarms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unanswered reminders ({n})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume deferred work</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TrayModel</name>
    <message>
        <source>Workdeck</source>
        <extracomment>Unanswered reminders listed in the menu; the window&apos;s Reminders view has them all. How many running tasks a &quot;Let them finish&quot; quit still waits for (0: no quit pending). Reminders shown or missed and not yet snoozed or dismissed (the engine&apos;s list).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 task running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} tasks running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next alarm: {alarm}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 unanswered reminder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} unanswered reminders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deferred work paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quits when the running task finishes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quits when the {n} running tasks finish</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WindowActions</name>
    <message>
        <source>&amp;New task…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a task (Ctrl+N)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Run now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start the selected task now (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel the selected task (Delete)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re&amp;try</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run a finished task again, as a new task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Duplicate…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create a new task from the selected one&apos;s spec</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Change a waiting task, or a running one from its next run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>De&amp;lete…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the selected task and its history (Shift+Delete)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search tasks (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit Workdeck (Ctrl+Q)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Follow now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep now in view on the timeline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Next &amp;pane</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to the next pane (F6)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Previous pane</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to the previous pane (Shift+F6)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit &amp;all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show everything on the timeline (Home)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Main</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Main toolbar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add &amp;example tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add one harmless task of each kind to see how Workdeck works</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Remove example tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel and delete the example tasks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WindowBehaviour</name>
    <message>
        <source>Workdeck is still running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closing the window keeps Workdeck running in the tray, so your tasks and reminders go on (work scoped to the window has stopped). To quit, choose Quit in the tray icon&apos;s menu or press Ctrl+Q in the window.</source>
        <extracomment>The tray balloon closes itself: left up, it sits over the tray icon and takes its clicks.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit Workdeck</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} tasks are still running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 task is still running.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Let them finish and quit afterwards, stop them now and resume them when Workdeck starts again, or cancel them. Scheduled and deferred work stays scheduled either way.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Let them finish</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Let it finish</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop, resume at next start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Don&apos;t quit</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WindowVisibility</name>
    <message>
        <source>visible</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>background</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Words</name>
    <message>
        <source>{name} (manifest)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>remind: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{time} (local)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in {span}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{span} ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Later</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>At a set time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting for another task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>scheduled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>succeeded</source>
        <extracomment>Hues (degrees) and saturations per outcome; lightness comes from the palette. How a run ended, as a person reads it (translated when looked up).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>timed out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A network connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Plugged into power</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Battery not low</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enough free disk space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are away from the computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck&apos;s window is closed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>keep it (add nothing)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>replace it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>run this after it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>run this after it, or replace it if it failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>update it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run once, late</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Skip it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run every missed time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>twice as long each time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a little longer each time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>under a second</source>
        <extracomment>Command-line spellings in the engine&apos;s refusals, as the form&apos;s fields are labelled.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{s} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{min} min {s} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{min} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{h} h {min} min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{h} h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{d} d {h} h</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{d} d</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cancelled by you</source>
        <extracomment>Why a run stopped, as a person says it (the machine words stay in --json).</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>took too long</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a condition stopped holding</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Workdeck had stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>replaced by a newer task</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a task it runs after failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>a task it runs after was cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the previous run still ran</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>served by a later run</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>missed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
