# Dolphin 7 (BoonEx Dolphin.Pro), as laid out by the public boonex/dolphin.pro
# tree and relocated by the BoonEx "Dolphin cluster setup" how-to.
#
# Shared paths follow the how-to's layout on the storage, relative to
# <mount>/<site>: media, flash/<module>/<dir>, modules/<module>/<dir>.
recipe "dolphin" {
  description = "BoonEx Dolphin 7: user uploads on shared storage, caches local to each web node"

  # --- Folders the how-to relocates by hand ---------------------------------

  # System uploads: avatars, profile and blog images, banners, classifieds,
  # membership icons, and the TinyMCE file manager (media/moxie).
  dynamic_dir "media" {}

  # Flash modules' user files (board drawings, chat, photo, IM, mp3, video,
  # video comments).
  dynamic_dir "flash/modules/board/files" { shared = "flash/board/files" }
  dynamic_dir "flash/modules/chat/files" { shared = "flash/chat/files" }
  dynamic_dir "flash/modules/photo/files" { shared = "flash/photo/files" }
  dynamic_dir "flash/modules/im/files" { shared = "flash/im/files" }
  dynamic_dir "flash/modules/mp3/files" { shared = "flash/mp3/files" }
  dynamic_dir "flash/modules/video/files" { shared = "flash/video/files" }
  dynamic_dir "flash/modules/video_comments/files" { shared = "flash/video_comments/files" }

  # Flash modules' settings, rewritten from the admin panel (the installer
  # lists each xml/*.xml file as one that must stay writable).
  dynamic_dir "flash/modules/board/xml" { shared = "flash/board/xml" }
  dynamic_dir "flash/modules/chat/xml" { shared = "flash/chat/xml" }
  dynamic_dir "flash/modules/photo/xml" { shared = "flash/photo/xml" }
  dynamic_dir "flash/modules/im/xml" { shared = "flash/im/xml" }
  dynamic_dir "flash/modules/mp3/xml" { shared = "flash/mp3/xml" }
  dynamic_dir "flash/modules/video/xml" { shared = "flash/video/xml" }
  dynamic_dir "flash/modules/video_comments/xml" { shared = "flash/video_comments/xml" }
  dynamic_dir "flash/modules/desktop/xml" { shared = "flash/desktop/xml" }
  dynamic_dir "flash/modules/global/xml" { shared = "flash/global/xml" }

  # BoonEx modules' uploads named by the how-to.
  dynamic_dir "modules/boonex/avatar/data/images" { shared = "modules/avatar/images" }
  dynamic_dir "modules/boonex/avatar/data/tmp" { shared = "modules/avatar/tmp" }
  dynamic_dir "modules/boonex/photos/data/files" { shared = "modules/photos/files" }
  dynamic_dir "modules/boonex/files/data/files" { shared = "modules/files/files" }
  dynamic_dir "modules/boonex/profile_customize/data/images" { shared = "modules/profile_customize/images" }
  dynamic_dir "modules/boonex/forum/data/attachments" { shared = "modules/forum/attachments" }

  # --- Other default BoonEx modules' data folders ---------------------------
  # Found in boonex/dolphin.pro as modules/boonex/*/data/* folders that ship
  # empty (a .gitignore only) and are filled at run time.

  # Sounds and Videos keep uploaded originals here (the converted copies go
  # to flash/modules/mp3/files and flash/modules/video/files above).
  dynamic_dir "modules/boonex/sounds/data/files" { shared = "modules/sounds/files" }
  dynamic_dir "modules/boonex/videos/data/files" { shared = "modules/videos/files" }

  # Site Customizer backgrounds and Sites thumbnails; both modules' install
  # configs mark these writable.
  dynamic_dir "modules/boonex/site_customize/data/images" { shared = "modules/site_customize/images" }
  dynamic_dir "modules/boonex/sites/data/images/thumbs" { shared = "modules/sites/thumbs" }

  # SMTP Mailer: files the admin uploads to attach to every outgoing mail;
  # every node must send the same ones.
  dynamic_dir "modules/boonex/smtpmailer/data/attach" { shared = "modules/smtpmailer/attach" }

  # --- Caches ---------------------------------------------------------------
  # The how-to empties these after copying the tree to another web node.
  cache_dir "cache" {}
  cache_dir "cache_public" {}
  cache_dir "tmp" {}
  cache_dir "plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/HTML" {}
  cache_dir "plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/CSS" {}
  cache_dir "plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/Test" {}
  cache_dir "plugins/htmlpurifier/standalone/HTMLPurifier/DefinitionCache/Serializer/URI" {}

  # Orca forum's compiled JavaScript (integrations/base/config.php calls it
  # "js files cache"; the module's uninstaller empties it).
  cache_dir "modules/boonex/forum/cachejs" {}

  # --- Local to each node ----------------------------------------------------
  # Log folders the modules write to (they are writable below): each web
  # node keeps its own log; replicating the primary's would overwrite it.
  local_dir "modules/boonex/forum/log" {}
  local_dir "modules/boonex/paypal_payflow/log" {}
  local_dir "modules/boonex/profiler/log" {}
  local_dir "modules/boonex/smtpmailer/data/logs" {}

  # --- Writable by the site owner -------------------------------------------
  # inc/classes/BxDolAdminTools.php $aInstallDirs: what the installer checks.
  # The media/* ones live on the storage once media is relocated.
  writable "backup" {}
  writable "cache" {}
  writable "cache_public" {}
  writable "langs" {}
  writable "media/images" {}
  writable "media/images/banners" {}
  writable "media/images/blog" {}
  writable "media/images/classifieds" {}
  writable "media/images/membership" {}
  writable "media/images/profile" {}
  writable "media/moxie/files" {}
  writable "media/moxie/storage" {}
  writable "tmp" {}

  # install/index.php $aTemporalityWritableFolders: the installer writes
  # inc/header.inc.php here.
  writable "inc" {}

  # BxDolAdminTools.php $aFlashDirs, and the folders of its $aFlashFiles
  # (flash/modules/*/xml/*.xml, flash/modules/global/data/integration.dat).
  writable "flash/modules/board/files" {}
  writable "flash/modules/chat/files" {}
  writable "flash/modules/photo/files" {}
  writable "flash/modules/im/files" {}
  writable "flash/modules/mp3/files" {}
  writable "flash/modules/video/files" {}
  writable "flash/modules/video_comments/files" {}
  writable "flash/modules/board/xml" {}
  writable "flash/modules/chat/xml" {}
  writable "flash/modules/desktop/xml" {}
  writable "flash/modules/global/xml" {}
  writable "flash/modules/im/xml" {}
  writable "flash/modules/mp3/xml" {}
  writable "flash/modules/photo/xml" {}
  writable "flash/modules/video/xml" {}
  writable "flash/modules/video_comments/xml" {}
  writable "flash/modules/global/data" {}

  # modules/boonex/*/install/config.php 'install_permissions' => 'writable'.
  writable "modules/boonex/avatar/data/images" {}
  writable "modules/boonex/avatar/data/tmp" {}
  writable "modules/boonex/desktop/file" {}
  writable "modules/boonex/files/data/files" {}
  writable "modules/boonex/forum/classes" {}
  writable "modules/boonex/forum/conf" {}
  writable "modules/boonex/forum/layout" {}
  writable "modules/boonex/forum/log" {}
  writable "modules/boonex/forum/js" {}
  writable "modules/boonex/forum/cachejs" {}
  writable "modules/boonex/forum/data/attachments" {}
  writable "modules/boonex/paypal_payflow/log" {}
  writable "modules/boonex/photos/data/files" {}
  writable "modules/boonex/profile_customize/data/images" {}
  writable "modules/boonex/profiler/log" {}
  writable "modules/boonex/site_customize/data/images" {}
  writable "modules/boonex/sites/data/images/thumbs" {}
  writable "modules/boonex/smtpmailer/data/logs" {}
}
